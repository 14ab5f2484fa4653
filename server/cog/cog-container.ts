// What modelhub says to a Cog container, as one interface: health, a prediction run synchronously or
// asynchronously (with webhooks back), cancel and shutdown, plus the words both sides use. One
// implementation per Cog runtime line (python-server.ts for Cog 0.7–0.16); docs/cog-protocol.md
// describes the protocol each of them speaks.

export type HealthStatus = "STARTING" | "READY" | "BUSY" | "SETUP_FAILED" | "DEFUNCT" | "UNHEALTHY" | "UNKNOWN";

export interface Health {
  status: HealthStatus | "UNREACHABLE";
  setupLogs: string;
  detail?: string;
  /** which server answered: coglet's health carries `version.coglet`, the Python server's no version */
  runtime?: RuntimeLineName;
  /** coglet's own version, when it said */
  serverVersion?: string;
}

export type RuntimeLineName = "python" | "coglet";

/** The server a health answer came from, as shown to users ("coglet 0.22.0", "python"); undefined when it did not say. */
export function serverName(h: Health): string | undefined {
  if (!h.runtime) return undefined;
  return h.runtime === "coglet" ? `coglet ${h.serverVersion ?? ""}`.trim() : "python";
}

/** A prediction as a Cog server reports it (sync answer, 202 body, webhook body). */
export interface CogPrediction {
  id?: string | null;
  status?: string;
  output?: unknown;
  logs?: string | null;
  error?: string | null;
  metrics?: Record<string, unknown>;
  started_at?: string | null;
  completed_at?: string | null;
  [k: string]: unknown;
}

export interface PredictRequest {
  id: string;
  input: Record<string, unknown>;
}

/** The async start: accepted (its webhooks follow), or the container's final word at once (rejected input, an error). */
export type AsyncStart = { kind: "accepted" } | { kind: "ended"; prediction: CogPrediction };

/** One running Cog container, reached at its published port. */
export interface CogContainer {
  readonly baseUrl: string;
  health(timeoutMs?: number): Promise<Health>;
  /**
   * Runs a prediction and holds the request until it ends. A busy container is asked again (never
   * the user's problem); a rejected input or an HTTP error comes back as a `failed` prediction.
   * Throws only when the connection breaks or `signal` aborts.
   */
  predict(req: PredictRequest, signal?: AbortSignal): Promise<CogPrediction>;
  /** Starts a prediction that reports by webhook to `webhookUrl` (busy retried as for predict). */
  startAsync(req: PredictRequest & { webhookUrl: string }, signal?: AbortSignal): Promise<AsyncStart>;
  /** Asks the model to cancel; false when the container did not acknowledge it. */
  cancel(id: string): Promise<boolean>;
  /** Asks the server to exit (for servers started with --await-explicit-shutdown). */
  shutdown(): Promise<boolean>;
  /** The container's reading of a terminal webhook (async path): a line may explain it better. */
  settle?(p: CogPrediction): CogPrediction;
}

/** A Cog runtime line: how its containers are started and spoken to. */
export interface CogRuntimeLine {
  /** The container command that makes file outputs arrive as PUTs under `uploadUrl`. */
  command(opts: { uploadUrl: string }): string[];
  /** Whether an image built with this Cog version takes --upload-url and async predictions. */
  supportsAsync(cogVersion: string): boolean;
  /**
   * Whether containers of an image built with this Cog version should get --upload-url (default
   * yes when async is supported). coglet uploads sync outputs too, out of order and dropping failed
   * ones silently: its file outputs are better inline.
   */
  wantsUploadUrl?(cogVersion: string): boolean;
  /** The line a container answered as, once its health was read (undefined before). */
  lineOf?(baseUrl: string): RuntimeLineName | undefined;
  open(baseUrl: string): CogContainer;
  close(): void;
}

export function isTerminal(status: unknown): status is "succeeded" | "failed" | "canceled" {
  return status === "succeeded" || status === "failed" || status === "canceled";
}
