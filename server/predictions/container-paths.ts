// The two ways a PredictionRun reaches its container (path-choice.ts picks one): sync holds one
// request open until the answer; async starts the prediction with a webhook back to modelhub and
// waits for the terminal one, which the run merges in (see PredictionRun.receiveWebhook). Both
// report to the run; the run decides what an answer or a failure means for the prediction.
import type { CogContainer, CogPrediction } from "../cog/cog-container.ts";
import { SYNC_SERVER_BUG } from "../cog/python-server.ts";
import type { InstanceEnd, Lease } from "../scheduler/scheduler.ts";
import type { PredictionRun } from "./prediction-run.ts";

/**
 * Cog sends its `start` webhook as soon as it accepts an async prediction. Silence this long means
 * the container cannot reach the callback listener (a firewall on docker0, a wrong
 * --callback-host): the prediction is moved to the sync path and so is every later one.
 */
const FIRST_WEBHOOK_TIMEOUT_MS = 5000;
/** A cancel the container acknowledged ends with its `canceled` webhook; after this long it is canceled anyway. */
const CANCELED_WEBHOOK_MS = 10_000;

export class CallbacksUnreachableError extends Error {}
/** How long a sync answer may still arrive after the scheduler said its container is gone. */
const GONE_ANSWER_GRACE_MS = 2_000;

/** The lease's container is gone (the scheduler told the lease why). */
export class ContainerGoneError extends Error {
  constructor(readonly end: InstanceEnd) {
    super(`the container is gone (${end.reason})`);
  }
}
export class AnswerTimeoutError extends Error {}
/** The callback listener refused one of this prediction's webhooks (too large): no answer will come. */
export class WebhookRefusedError extends Error {}

export interface ContainerPathStrategy {
  call(run: PredictionRun, container: CogContainer, input: Record<string, unknown>, lease: Lease): Promise<CogPrediction>;
}

export const syncPath: ContainerPathStrategy = {
  async call(run, container, input, lease) {
    // The lease's end is raced too: a container on a node that stopped answering never closes its
    // connection, so the scheduler's word (the node is lost) ends the wait. A container that is still
    // there answers first (a crashed worker's own error), so its answer gets a moment to arrive.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gone = lease.ended.then(
      (end) => new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ContainerGoneError(end)), GONE_ANSWER_GRACE_MS))),
    );
    const p = await Promise.race([container.predict({ id: run.rec.id, input }, run.signal), gone]).finally(() => clearTimeout(timer));
    // A known bug of the server's sync answer (pydantic-2 Cog): the async path gives the real one.
    if (p[SYNC_SERVER_BUG] === true && run.mayGoAsync) return asyncPath.call(run, container, input, lease);
    return p;
  },
};

export const asyncPath: ContainerPathStrategy = {
  async call(run, container, input, lease) {
    const started = await container.startAsync({ id: run.rec.id, input, webhookUrl: run.openWebhook() }, run.signal);
    if (started.kind === "ended") return started.prediction;
    const p = await awaitAnswer(run, lease, { firstWebhookMs: FIRST_WEBHOOK_TIMEOUT_MS });
    return container.settle ? container.settle(p) : p;
  },
};

/**
 * The container's terminal webhook, or why it will not come: the lease's container is gone, no
 * first webhook within `firstWebhookMs`, no answer within `timeoutMs`, or the run was aborted.
 */
export function awaitAnswer(run: PredictionRun, lease: Lease, opts: { firstWebhookMs?: number; timeoutMs?: number }): Promise<CogPrediction> {
  return new Promise<CogPrediction>((resolve, reject) => {
    const timers: ReturnType<typeof setTimeout>[] = [];
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      run.signal.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => {
      if (!run.canceling) return settle(() => reject(new Error("aborted")));
      timers.push(setTimeout(() => settle(() => reject(new Error("canceled"))), CANCELED_WEBHOOK_MS));
    };
    run.webhookAnswer.then(
      (p) => settle(() => resolve(p)),
      (err) => settle(() => reject(err)),
    );
    lease.ended.then((end) => settle(() => reject(new ContainerGoneError(end))));
    if (opts.firstWebhookMs !== undefined) {
      const silence = setTimeout(() => settle(() => reject(new CallbacksUnreachableError("no webhook from the container"))), opts.firstWebhookMs);
      timers.push(silence);
      run.firstWebhook.then(() => clearTimeout(silence));
    }
    if (opts.timeoutMs !== undefined) timers.push(setTimeout(() => settle(() => reject(new AnswerTimeoutError("no answer in time"))), opts.timeoutMs));
    if (run.signal.aborted) onAbort();
    else run.signal.addEventListener("abort", onAbort);
  });
}
