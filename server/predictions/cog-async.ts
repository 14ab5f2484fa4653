// The asynchronous side of the Cog container API (docs/cog-protocol.md): PUT /predictions/{id}
// with `Prefer: respond-async` and a webhook; the container then reports progress by webhook.
// Answers are read by server/runtime/cog-client.ts's readPredictionAnswer, like the sync POST's.
import { type CogPrediction, readPredictionAnswer } from "../runtime/cog-client.ts";

export type AsyncStart =
  | { kind: "accepted"; prediction: CogPrediction }
  | { kind: "busy" }
  | { kind: "invalid"; detail: unknown }
  | { kind: "error"; status: number; body: string };

export async function startAsync(
  baseUrl: string,
  id: string,
  body: { input: Record<string, unknown>; webhook: string; webhook_events_filter: string[] },
  signal?: AbortSignal,
): Promise<AsyncStart> {
  const res = await fetch(`${baseUrl}/predictions/${encodeURIComponent(id)}`, {
    method: "PUT",
    // The exact string: Cog parses no other Prefer syntax.
    headers: { "content-type": "application/json", prefer: "respond-async" },
    body: JSON.stringify({ id, ...body }),
    signal,
  });
  const answer = readPredictionAnswer(res.status, await res.text());
  // A 202 body is the full object (FastAPI) or just {id, status} (coglet); either is enough.
  if (answer.kind === "done") return { kind: "accepted", prediction: answer.prediction };
  if (answer.kind === "error" && res.status >= 200 && res.status <= 299) return { kind: "accepted", prediction: {} };
  return answer;
}
