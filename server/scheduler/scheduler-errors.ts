// The errors the scheduler's callers must tell apart.

/** Setup failed: the container reported SETUP_FAILED, exited while booting, or never became ready. */
export class SetupFailedError extends Error {
  constructor(message: string, readonly logs: string) {
    super(message);
  }
}
export class QueueFullError extends Error {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}
export class CanceledError extends Error {}
