// The CogContainer of coglet, the Rust server of Cog 0.17+ (docs/cog-protocol.md, "coglet"). It
// speaks the Python server's protocol with differences this class absorbs: the model's own
// healthcheck() runs inside every /health-check (up to 10 s), a crashed worker leaves the server up
// answering UNHEALTHY and 503 "Worker crashed", and a failed sync prediction answers `logs: ""`
// (what the model printed is only in the container's log stream).
import type { CogPrediction, Health, PredictRequest } from "./cog-container.ts";
import { predictionLogs, trailingLogs } from "./coglet-log.ts";
import type { Http1Client } from "./http1.ts";
import { type PredictAnswer, PythonServerContainer, readPredictionAnswer } from "./python-server.ts";

/** coglet gives the model's healthcheck() 10 s; a probe waits a little longer than that. */
export const COGLET_HEALTH_TIMEOUT_MS = 11_000;

export const WORKER_CRASHED =
  "The model's worker process died while running this prediction (most often it was killed for running out of memory). " +
  "Its container is replaced; run the prediction again, or give the model more memory if it keeps happening.";

/** What a container's health says once it is known to be coglet. */
export function cogletHealth(h: Health): Health {
  // UNHEALTHY without a healthcheck() error is coglet's word for a dead worker: gone for good, like DEFUNCT.
  if (h.status === "UNHEALTHY" && !h.detail) return { ...h, status: "DEFUNCT", detail: "the model's worker process died (often: out of memory)" };
  return h;
}

export interface CogletHooks {
  /** the container's log stream (JSON lines), when the runtime can give it */
  containerLogs?: (baseUrl: string) => Promise<string>;
  /** told when the container says its worker died, so it is replaced at once */
  onBroken?: (baseUrl: string, reason: string) => void;
}

const crashed = (text: string) => /worker crashed/i.test(text);

export class CogletContainer extends PythonServerContainer {
  constructor(
    baseUrl: string,
    http: Http1Client,
    sleep: (ms: number) => Promise<void>,
    private hooks: CogletHooks,
  ) {
    super(baseUrl, http, sleep);
  }

  override async health(timeoutMs = 1000): Promise<Health> {
    return cogletHealth(await super.health(Math.max(timeoutMs, COGLET_HEALTH_TIMEOUT_MS)));
  }

  protected override read(status: number, text: string): PredictAnswer {
    // After a crash coglet answers 503 "Worker crashed" forever: not busy, broken.
    if (status === 503 && crashed(text)) return { kind: "done", prediction: this.brokenWorker() };
    const a = readPredictionAnswer(status, text);
    if (a.kind === "done" && a.prediction.status === "failed" && crashed(String(a.prediction.error ?? ""))) return { kind: "done", prediction: this.brokenWorker(a.prediction) };
    return a;
  }

  override async predict(req: PredictRequest, signal?: AbortSignal): Promise<CogPrediction> {
    const p = await super.predict(req, signal);
    if (p.status !== "failed" || p.logs || !this.hooks.containerLogs) return p;
    const read = () => this.hooks.containerLogs!(this.baseUrl);
    // The model's own error ends the traceback coglet logs; a dead worker's prediction has no traceback to wait for.
    const error = p.error === WORKER_CRASHED ? "" : String(p.error ?? "");
    return { ...p, logs: await trailingLogs(read, this.sleep, (raw) => predictionLogs(raw, req.id), error) };
  }

  settle(p: CogPrediction): CogPrediction {
    return p.status === "failed" && crashed(String(p.error ?? "")) ? this.brokenWorker(p) : p;
  }

  private brokenWorker(p: CogPrediction = {}): CogPrediction {
    this.hooks.onBroken?.(this.baseUrl, "its worker process died (coglet says Worker crashed)");
    return { ...p, status: "failed", error: WORKER_CRASHED, logs: typeof p.logs === "string" ? p.logs : "" };
  }
}
