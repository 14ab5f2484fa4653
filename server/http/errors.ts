// Maps every thrown error to the one problem body; unknown errors become a generic 500 and a log line.
import { fullPart, insufficientStorage } from "../db/disk-full.ts";
import { AppError, unavailable } from "../errors.ts";
import type { Logger } from "../log.ts";
import { DockerUnavailableError, EngineRefusedError } from "../runtime/runtime.ts";
import { problem } from "./respond.ts";

/** `dataDir` names the data folder in the 507 a full disk gets. */
export function toProblemResponse(err: unknown, code: string | number, logger: Logger, dataDir = "(the data folder)"): Response {
  if (err instanceof AppError) return problem(err);
  if (err instanceof DockerUnavailableError) return problem(unavailable(err.message, "docker_unavailable"));
  // What the engine refuses as malformed came from the request (an image reference): the caller's 400.
  if (err instanceof EngineRefusedError) return problem(new AppError(400, "Bad request", err.message));
  if (code === "NOT_FOUND") return problem(new AppError(404, "Not found", "No such route"));
  if (code === "PARSE") return problem(new AppError(400, "Bad request", "Request body could not be parsed"));
  if (code === "VALIDATION") return problem(new AppError(422, "Invalid input", String((err as Error).message)));
  const full = fullPart(err);
  if (full) {
    logger.warn("the data folder is full", { dataDir, part: full, error: (err as Error).message });
    return problem(insufficientStorage(dataDir, full));
  }
  logger.error("unhandled error", { error: (err as Error)?.stack ?? String(err) });
  return problem(new AppError(500, "Internal server error", "Something went wrong inside modelhub; the server log has the details"));
}
