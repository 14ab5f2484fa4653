// What a prediction that never reached its container says: the reason in the user's words.
import { AppError } from "../errors.ts";
import { DockerUnavailableError, GpuUnavailableError, RuntimeError } from "../runtime/runtime.ts";
import { QueueFullError } from "../scheduler/scheduler.ts";

/** The message of an error from acquiring a container (engine down, no GPU, queue full…); "Internal error" otherwise. */
export function userMessage(err: unknown): string {
  if (err instanceof DockerUnavailableError || err instanceof GpuUnavailableError || err instanceof RuntimeError) return err.message;
  if (err instanceof QueueFullError) return err.message;
  if (err instanceof AppError) return err.detail;
  return `Internal error: ${(err as Error).message}`;
}
