// Wire shapes of the Files API object and the webhook signing secret (docs/replicate-api.md, Objects and Webhooks).
import { t } from "elysia";
import { Int, orNull, Timestamp } from "./wire-common.ts";

/** Python 1.x requires every field but expires_at. */
export const FileObject = t.Object({
  id: t.String(),
  name: t.String(),
  content_type: t.String(),
  size: Int({ minimum: 0 }),
  etag: t.String(),
  checksums: t.Record(t.String(), t.String()),
  metadata: t.Record(t.String(), t.Unknown()),
  created_at: Timestamp,
  expires_at: t.Optional(orNull(Timestamp)),
  urls: t.Object({ get: t.String() }, { additionalProperties: t.String() }),
});

/** The `metadata` part of an upload, once parsed as JSON. */
export const FileMetadata = t.Record(t.String(), t.Unknown(), { description: "a JSON object" });

/** POST /v1/files, multipart/form-data: the file in `content` (its name and type from the part's headers). */
export const FileUpload = t.Object({
  content: t.String({ format: "binary" }),
  metadata: t.Optional(t.String({ description: "a JSON object (a JSON file part or a text field)" })),
  filename: t.Optional(t.String()),
  type: t.Optional(t.String()),
});

export const WebhookSecret = t.Object({
  key: t.String({ pattern: "^whsec_[A-Za-z0-9+/=]+$", description: "whsec_<base64>; exactly one underscore" }),
});
