// Wire shapes of modelhub's image-moving extensions (pull, save, load in parts).
import { t } from "elysia";

export const ImagePull = t.Object({
  image: t.String({ minLength: 1, maxLength: 512, description: "image reference, e.g. registry.example.com/acme/model:tag" }),
  name: t.Optional(t.String({ description: "owner/name to add it as (default: from the image name)" })),
});

export const ImageLoadStarted = t.Object({ id: t.String({ description: "the load to send parts to" }) });
export const ImageLoadProgress = t.Object({ received: t.Integer({ description: "bytes received so far (the next part's offset)" }) });
export const ImageLoadResult = t.Object({
  images: t.Array(t.Object({ ref: t.Union([t.String(), t.Null()], { description: "repo:tag when the tar named one" }), id: t.String({ description: "image id, 64 hex" }) })),
});
