// `modelhub stop MODEL` / `modelhub stop --all`: stop instances gracefully. In-flight predictions get
// --grace seconds to finish (default 30), then fail with a reason; queued ones fail at once.
import { ApiError, type Client } from "../client.ts";

interface StopJson {
  stopped: string[];
  failed_queued: number;
}

export async function stop(client: Client, target: { model?: string; all?: boolean }, graceSeconds?: number): Promise<string> {
  const grace = graceSeconds === undefined ? {} : { grace: graceSeconds };
  let r: StopJson;
  let what: string;
  if (target.all) {
    r = await client.request("POST", "/v1/instances/stop", { all: true, ...grace });
    what = "all models";
  } else {
    const name = target.model!;
    what = name;
    try {
      r = await client.request("POST", "/v1/instances/stop", { model: name, ...grace });
    } catch (err) {
      // Not a model: it may be a deployment's name.
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      try {
        r = await client.request("POST", "/v1/instances/stop", { deployment: name, ...grace });
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) throw new ApiError(404, `no model or deployment named ${name}`);
        throw e;
      }
    }
  }
  const n = r.stopped.length;
  const parts = [n === 0 ? `Nothing running for ${what}.` : `Stopped ${n} instance${n === 1 ? "" : "s"} of ${what}.`];
  if (r.failed_queued) parts.push(`${r.failed_queued} queued prediction${r.failed_queued === 1 ? " was" : "s were"} failed.`);
  return parts.join(" ");
}
