// The distribution API's error shape: {"errors":[{code, message, detail}]}. Docker prints
// "<code in words>: <message>", so the message is what a user reads after a failed push.

export type DistributionCode =
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_INVALID"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "MANIFEST_BLOB_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "SIZE_INVALID"
  | "TAG_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS"
  | "UNKNOWN";

export class DistributionError extends Error {
  constructor(
    readonly status: number,
    readonly code: DistributionCode,
    message: string,
    readonly detail: unknown = null,
    /** extra response headers (Range on a 416, WWW-Authenticate on a 401) */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const blobUnknown = (digest: string) => new DistributionError(404, "BLOB_UNKNOWN", "blob unknown to registry", { digest });
export const uploadUnknown = () =>
  new DistributionError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry (sessions end when modelhub restarts; push again)");
export const digestInvalid = (message: string) => new DistributionError(400, "DIGEST_INVALID", message);
export const manifestInvalid = (message: string) => new DistributionError(400, "MANIFEST_INVALID", message);
export const manifestUnknown = (reference: string) => new DistributionError(404, "MANIFEST_UNKNOWN", "manifest unknown", { reference });
export const nameInvalid = (message: string) => new DistributionError(400, "NAME_INVALID", message);
export const nameUnknown = (name: string) => new DistributionError(404, "NAME_UNKNOWN", `repository ${name} not known to registry`);
export const denied = (message: string) => new DistributionError(403, "DENIED", message);
export const unsupported = (message: string) => new DistributionError(405, "UNSUPPORTED", message);

export function distributionResponse(e: DistributionError, head = false): Response {
  const headers = { "content-type": "application/json", "docker-distribution-api-version": "registry/2.0", ...e.headers };
  // HEAD answers carry no body; the status and headers say it all.
  if (head) return new Response(null, { status: e.status, headers });
  return new Response(JSON.stringify({ errors: [{ code: e.code, message: e.message, detail: e.detail }] }), { status: e.status, headers });
}
