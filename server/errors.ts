// The one error shape: every failure the API reports is an AppError, rendered as a problem body
// { title, detail, status } (Replicate's shape), optionally with field errors for 422s.

export interface FieldError {
  field: string;
  rule: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: { fields?: FieldError[]; retryAfter?: number; code?: string } = {},
  ) {
    super(detail);
  }
}

export const notFound = (detail: string) => new AppError(404, "Not found", detail);
export const badRequest = (detail: string) => new AppError(400, "Bad request", detail);
export const conflict = (detail: string) => new AppError(409, "Conflict", detail);
export const unauthorized = (detail = "You did not pass a valid authentication token") =>
  new AppError(401, "Unauthenticated", detail);
export const forbidden = (detail: string) => new AppError(403, "Forbidden", detail);
export const tooLarge = (detail: string) => new AppError(413, "Payload too large", detail);
export const unsupportedMediaType = (detail: string) => new AppError(415, "Unsupported media type", detail);
export const invalidInput = (detail: string, fields: FieldError[] = []) =>
  new AppError(422, "Invalid input", detail, { fields });
export const queueFull = (detail: string, retryAfter: number) =>
  new AppError(429, "Too many requests", detail, { retryAfter });
export const unavailable = (detail: string, code?: string) => new AppError(503, "Service unavailable", detail, { code });

export interface ProblemBody {
  title: string;
  detail: string;
  status: number;
  invalid_fields?: FieldError[];
  code?: string;
}

export function problemBody(e: AppError): ProblemBody {
  const body: ProblemBody = { title: e.title, detail: e.detail, status: e.status };
  if (e.extra.fields?.length) body.invalid_fields = e.extra.fields;
  if (e.extra.code) body.code = e.extra.code;
  return body;
}
