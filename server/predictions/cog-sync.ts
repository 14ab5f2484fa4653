// The synchronous Cog call of the fast path: POST /predictions over a kept-alive socket
// (http1.ts), answered like runtime/cog-client.ts's predict().
import type { CogPrediction, PredictResult } from "../runtime/cog-client.ts";
import type { Http1Client } from "./http1.ts";

export async function predictSync(
  http: Http1Client,
  baseUrl: string,
  body: { id: string; input: Record<string, unknown> },
  signal?: AbortSignal,
): Promise<PredictResult> {
  const res = await http.request(baseUrl, "POST", "/predictions", { "Content-Type": "application/json" }, JSON.stringify(body), signal);
  // FastAPI: 409 while busy or in setup; coglet: 409 at capacity, 503 during setup.
  if (res.status === 409 || res.status === 503) return { kind: "busy" };
  const text = res.body.toString("utf8");
  if (res.status === 422) {
    let detail: unknown = text;
    try {
      detail = JSON.parse(text).detail;
    } catch {}
    return { kind: "invalid", detail };
  }
  if (res.status < 200 || res.status > 202) return { kind: "error", status: res.status, body: text.slice(0, 2000) };
  try {
    return { kind: "done", prediction: JSON.parse(text) as CogPrediction };
  } catch {
    return { kind: "error", status: res.status, body: `unparseable response: ${text.slice(0, 200)}` };
  }
}
