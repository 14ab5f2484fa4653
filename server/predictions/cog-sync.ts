// The synchronous Cog call of the fast path: POST /predictions over a kept-alive socket (http1.ts).
import { type PredictResult, readPredictionAnswer } from "../runtime/cog-client.ts";
import type { Http1Client } from "./http1.ts";

export async function predictSync(
  http: Http1Client,
  baseUrl: string,
  body: { id: string; input: Record<string, unknown> },
  signal?: AbortSignal,
): Promise<PredictResult> {
  const res = await http.request(baseUrl, "POST", "/predictions", { "Content-Type": "application/json" }, JSON.stringify(body), signal);
  return readPredictionAnswer(res.status, res.body.toString("utf8"));
}
