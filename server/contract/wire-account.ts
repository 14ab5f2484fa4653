// Wire shapes of the account and of collections (docs/replicate-api.md, Objects).
import { t } from "elysia";
import { orNull } from "./wire-common.ts";
import { Model } from "./wire-model.ts";

/** Python 1.x requires type, username and a non-null name. */
export const Account = t.Object({
  type: t.Union([t.Literal("user"), t.Literal("organization")]),
  username: t.String(),
  name: t.String(),
  github_url: t.Optional(t.String()),
  avatar_url: t.Optional(t.String()),
});

/** Python 1.x requires a non-null description. */
export const Collection = t.Object({
  name: t.String(),
  slug: t.String(),
  description: t.String(),
});

export const CollectionDetail = t.Composite([
  Collection,
  t.Object({
    full_description: orNull(t.String()),
    models: t.Array(Model),
  }),
]);
