// A full disk, told apart from other failures: the database cannot grow (SQLITE_FULL) or a file
// cannot be written (ENOSPC, EDQUOT). Requests that needed the write answer 507 naming the data
// folder and what is full, instead of a generic 500; reads keep working meanwhile.
import { AppError } from "../errors.ts";

export type FullPart = "database" | "files";

/** What a write failed on when the failure is a full disk; null for any other error. */
export function fullPart(err: unknown): FullPart | null {
  if (!err || typeof err !== "object") return null;
  const { code, message } = err as { code?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : "";
  if (code === "SQLITE_FULL" || /database or disk is full/i.test(text)) return "database";
  if (code === "ENOSPC" || code === "EDQUOT" || /no space left on device|disk quota exceeded/i.test(text)) return "files";
  return null;
}

/** The 507 a request gets when the data folder is full. */
export function insufficientStorage(dataDir: string, part: FullPart): AppError {
  const what = part === "database" ? "its database (modelhub.db) cannot grow" : "no more files can be stored there";
  return new AppError(
    507,
    "Insufficient storage",
    `modelhub's data folder ${dataDir} is full: ${what}. Reads keep working; free space (delete files or old predictions: DELETE /v1/files/{id}, DELETE /v1/predictions/{id}; or grow the disk) and try again.`,
    { code: "disk_full" },
  );
}
