// The asynchronous side of the Cog container API (cog-protocol §2.5, §2.8): PUT /predictions/{id}
// with `Prefer: respond-async` and a webhook; the container then reports progress by webhook.
// The sync POST and cancel live in server/runtime/cog-client.ts.
import type { CogPrediction } from "../runtime/cog-client.ts";

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
  const text = await res.text();
  // FastAPI: 409 while busy or in setup; coglet: 409 at capacity, 503 during setup.
  if (res.status === 409 || res.status === 503) return { kind: "busy" };
  if (res.status === 422) {
    let detail: unknown = text;
    try {
      detail = JSON.parse(text).detail;
    } catch {}
    return { kind: "invalid", detail };
  }
  if (res.status < 200 || res.status > 299) return { kind: "error", status: res.status, body: text.slice(0, 2000) };
  let prediction: CogPrediction = {};
  try {
    prediction = JSON.parse(text) as CogPrediction;
  } catch {}
  return { kind: "accepted", prediction };
}
