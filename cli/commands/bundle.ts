// `modelhub export MODEL[:VERSION] -o bundle.tar` and `modelhub import bundle.tar`: a model version
// moved as one file, for machines without a registry. A bundle is a tar: first `modelhub-bundle.json`
// (the catalog entry: description, visibility, policy, version), then the image exactly as
// `docker save` writes it (so `docker load < bundle.tar` works too). Both ways stream: the image
// is never held in memory, and the upload goes in parts that fit the server's body limit.
import { existsSync, statSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { ApiError } from "../client.ts";
import type { Context } from "../context.ts";
import { ByteProgress } from "../progress.ts";
import { padTo512, readTarHeader, tarEntry } from "../tar.ts";
import { parseModelRef, UsageError } from "../usage.ts";

export const MANIFEST_NAME = "modelhub-bundle.json";
const FORMAT = "modelhub-bundle/1";
/** Upload part size: under the default --max-body-size (100m) with room to spare. */
export const PART_BYTES = 8 * 1024 * 1024;

export interface BundleManifest {
  format: string;
  model: string;
  description: string | null;
  visibility: "public" | "private";
  /** the model's stored run policy (null values = defaults), or null when the server has none */
  policy: Record<string, unknown> | null;
  version: { id: string; cog_version: string; image: string; created_at: string };
  exported_at: string;
}

const progressTerm = (ctx: Context) => ({ write: (s: string) => process.stderr.write(s), tty: ctx.err.tty, columns: process.stderr.columns });

export async function exportBundle(ctx: Context, ref: string | undefined, output: string | undefined, force: boolean): Promise<number> {
  const usage = "modelhub export MODEL[:VERSION] -o bundle.tar";
  const { owner, name, version } = parseModelRef(ref, usage);
  if (!output) throw new UsageError(`where to? add -o FILE (e.g. -o ${name}.tar)\nusage: ${usage}`);
  const toStdout = output === "-";
  if (toStdout && process.stdout.isTTY) throw new UsageError("refusing to write a tar to the terminal; use -o FILE or redirect stdout");
  if (!toStdout && existsSync(output) && !force) throw new UsageError(`${output} already exists; pass --force to overwrite it`);

  const base = `/v1/models/${owner}/${name}`;
  const model = await ctx.client.request<{ description: string | null; visibility: "public" | "private"; latest_version: BundleManifest["version"] | null }>("GET", base);
  const v = version ? await ctx.client.request<BundleManifest["version"]>("GET", `${base}/versions/${encodeURIComponent(version)}`) : model.latest_version;
  if (!v) throw new Error(`${owner}/${name} has no versions to export`);
  let policy: Record<string, unknown> | null = null;
  try {
    policy = (await ctx.client.request<{ policy: Record<string, unknown> }>("GET", `${base}/policy`)).policy;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  const manifest: BundleManifest = {
    format: FORMAT,
    model: `${owner}/${name}`,
    description: model.description,
    visibility: model.visibility,
    policy,
    version: { id: v.id, cog_version: v.cog_version, image: v.image, created_at: v.created_at },
    exported_at: new Date().toISOString(),
  };
  const res = await ctx.client.raw("GET", `${base}/versions/${v.id}/image`);
  const estimate = Number(res.headers.get("x-image-size") ?? 0);

  const partial = toStdout ? null : `${output}.partial`;
  const fh = toStdout ? null : await open(partial!, "w");
  const write = async (b: Uint8Array) => {
    if (fh) await fh.write(b);
    else if (!process.stdout.write(b)) await new Promise((r) => process.stdout.once("drain", r));
  };
  const progress = new ByteProgress(progressTerm(ctx), `Exporting ${owner}/${name}:${v.id.slice(0, 12)}`, estimate);
  try {
    await write(tarEntry(MANIFEST_NAME, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n")));
    for await (const chunk of res.body!) {
      await write(chunk);
      progress.add(chunk.byteLength);
    }
    await fh?.close();
    if (partial) await rename(partial, output);
  } catch (err) {
    await fh?.close().catch(() => {});
    if (partial) await unlink(partial).catch(() => {});
    throw err;
  }
  progress.finish();
  if (!toStdout) process.stderr.write(`Wrote ${output} (${owner}/${name}, version ${v.id.slice(0, 12)}). On the other machine: modelhub import ${output}\n`);
  return 0;
}

/** The manifest at the front of a bundle and where the image tar starts. */
export async function readManifest(path: string): Promise<{ manifest: BundleManifest; imageStart: number }> {
  const head = new Uint8Array(await Bun.file(path).slice(0, 512).arrayBuffer());
  const entry = readTarHeader(head);
  if (!entry || entry.name !== MANIFEST_NAME || entry.size > 1024 * 1024)
    throw new UsageError(`${path} is not a modelhub bundle (make one with modelhub export MODEL -o FILE; a plain docker save tar goes through docker load and modelhub models add)`);
  const manifest = JSON.parse(await Bun.file(path).slice(512, 512 + entry.size).text()) as BundleManifest;
  if (manifest.format !== FORMAT) throw new UsageError(`${path} is a bundle of format "${manifest.format}"; this modelhub reads ${FORMAT}`);
  return { manifest, imageStart: 512 + padTo512(entry.size) };
}

export async function importBundle(ctx: Context, path: string, name?: string): Promise<number> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UsageError(`no such file: ${path}`);
  }
  const { manifest, imageStart } = await readManifest(path);
  const target = name ?? manifest.model;
  const { owner, name: model } = parseModelRef(target, "modelhub import bundle.tar [--name owner/name]");

  // The image, in parts, into one docker load on the server.
  const { id } = await ctx.client.request<{ id: string }>("POST", "/v1/images/loads");
  const progress = new ByteProgress(progressTerm(ctx), `Importing ${manifest.model}:${manifest.version.id.slice(0, 12)}`, size - imageStart);
  let loaded: { ref: string | null; id: string }[];
  try {
    for (let at = imageStart; at < size; at += PART_BYTES) {
      const end = Math.min(size, at + PART_BYTES);
      await ctx.client.raw("PUT", `/v1/images/loads/${id}?offset=${at - imageStart}`, {
        headers: { "content-type": "application/octet-stream" },
        body: Bun.file(path).slice(at, end),
      });
      progress.add(end - at);
    }
    loaded = (await ctx.client.request<{ images: { ref: string | null; id: string }[] }>("POST", `/v1/images/loads/${id}/finish`)).images;
  } catch (err) {
    await ctx.client.raw("DELETE", `/v1/images/loads/${id}`).catch(() => {});
    throw err;
  }
  progress.finish();
  const image = loaded.find((l) => l.id === manifest.version.id);
  if (!image) throw new Error(`the bundle's image did not load as version ${manifest.version.id.slice(0, 12)} (got ${loaded.map((l) => l.id.slice(0, 12)).join(", ") || "nothing"})`);

  // Then the catalog entry: the version, the model's description and visibility, its policy.
  const base = `/v1/models/${owner}/${model}`;
  const v = await ctx.client.request<{ id: string }>("POST", `${base}/versions`, { image: image.ref ?? `sha256:${image.id}` });
  await ctx.client.request("PATCH", base, { visibility: manifest.visibility, ...(manifest.description !== null ? { description: manifest.description } : {}) });
  const policy = Object.fromEntries(Object.entries(manifest.policy ?? {}).filter(([, val]) => val !== null));
  let policyNote = "";
  if (Object.keys(policy).length) {
    try {
      await ctx.client.request("PATCH", `${base}/policy`, policy);
      policyNote = `\n  policy ${Object.entries(policy).map(([k, val]) => `${k}=${val}`).join(" ")}`;
    } catch (err) {
      // e.g. pinned GPUs this machine does not have: the model still runs, on the defaults.
      policyNote = `\n  policy not applied (${(err as Error).message}); set it with modelhub policy ${owner}/${model} key=value`;
    }
  }
  process.stdout.write(`Imported ${manifest.model} as ${owner}/${model}\n  version ${v.id}\n  visibility ${manifest.visibility}${policyNote}\n  run it: modelhub predict ${owner}/${model} -i name=value\n`);
  return 0;
}
