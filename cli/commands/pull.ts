// `modelhub pull IMAGE [--name owner/name]`: the server pulls through its Docker engine and streams the
// engine's progress (NDJSON), shown like `docker pull`; then the image is added to the catalog.
import { ApiError } from "../client.ts";
import type { Context } from "../context.ts";
import { PullDisplay, type PullEvent } from "../progress.ts";

interface Added {
  status: string;
  model: string;
  version: { id: string; cog_version: string };
}

async function* ndjson(body: ReadableStream<Uint8Array>): AsyncGenerator<Record<string, unknown>> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of body) {
    buf += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
  }
}

export async function pull(ctx: Context, image: string, name?: string): Promise<number> {
  const res = await ctx.client.raw("POST", "/v1/images/pull", {
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ image, ...(name ? { name } : {}) }),
  });
  const display = new PullDisplay({ write: (s) => process.stderr.write(s), tty: ctx.err.tty, columns: process.stderr.columns, rows: process.stderr.rows });
  let added: Added | null = null;
  for await (const o of ndjson(res.body!)) {
    if (o.error) {
      display.finish();
      const e = o.error as { detail: string; status: number };
      throw new ApiError(e.status, e.detail);
    }
    if (o.model) added = o as unknown as Added;
    else display.update(o as unknown as PullEvent);
  }
  display.finish();
  if (!added) throw new Error("the server ended the pull without saying whether it worked; see modelhub models");
  const verb = added.status === "added" ? "Added" : "Already in the catalog:";
  process.stdout.write(`${verb} ${image} as ${added.model}\n  version ${added.version.id}\n  cog ${added.version.cog_version}\n  run it: modelhub predict ${added.model} -i name=value\n`);
  return 0;
}
