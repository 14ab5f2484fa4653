// The distribution API (/v2/) on modelhub's own port, for `docker push`/`cog push`/`docker pull`.
// Answered before Elysia's routing and body parsing (app.ts): bodies are streamed straight to the
// registry service, never parsed or buffered, and the JSON body limit does not apply to layers.
import type { Logger } from "../../log.ts";
import type { RegistryAccess } from "../../registry/access.ts";
import { DistributionError, distributionResponse, unsupported } from "../../registry/distribution-errors.ts";
import { parseRegistryPath } from "../../registry/reference.ts";
import { MAX_MANIFEST_BYTES, type RegistryService } from "../../registry/registry-service.ts";
import { uploadRange } from "../../registry/upload-sessions.ts";
import { parseRange } from "../transport/range.ts";

export interface RegistryHttpDeps {
  registry: RegistryService;
  access: RegistryAccess;
  logger: Logger;
  /** --public-url, when set: the token realm is built on it instead of the request's Host */
  publicUrl: string;
}

const API_VERSION = { "docker-distribution-api-version": "registry/2.0" };

export const isRegistryPath = (pathname: string) => pathname === "/v2" || pathname.startsWith("/v2/");

/**
 * A blob upload (POST, PATCH or PUT under /v2/…/blobs/uploads/): its body may take minutes for
 * several GB, and Bun's idle timer cuts a request after the timeout even while its body keeps
 * arriving, so the server lifts it for these (the upload cuts a stalled body itself). `url` may be a
 * bare path.
 */
export const isBlobUpload = (method: string, url: string) =>
  (method === "POST" || method === "PATCH" || method === "PUT") && /^(?:[a-z]+:\/\/[^/]*)?\/v2\/[^?#]*\/blobs\/uploads\//i.test(url);

export function registryHandler(d: RegistryHttpDeps): (request: Request) => Promise<Response> {
  return async (request) => {
    const head = request.method === "HEAD";
    try {
      return await route(d, request);
    } catch (err) {
      if (err instanceof DistributionError) return distributionResponse(err, head);
      // Never the Authorization header: the method, the path and the message only.
      d.logger.error("registry request failed", { method: request.method, path: new URL(request.url).pathname, error: (err as Error).message });
      return distributionResponse(new DistributionError(500, "UNKNOWN", `modelhub could not complete this request: ${(err as Error).message}`), head);
    }
  };
}

function realmOf(request: Request, publicUrl: string): string {
  if (publicUrl) return `${publicUrl.replace(/\/$/, "")}/v2/token`;
  const u = new URL(request.url);
  return `${u.protocol}//${request.headers.get("host") ?? u.host}/v2/token`;
}

async function route(d: RegistryHttpDeps, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const r = parseRegistryPath(url.pathname);
  const method = request.method;
  const realm = realmOf(request, d.publicUrl);
  const q = url.searchParams;
  const headers = (extra: Record<string, string>) => ({ ...API_VERSION, ...extra });
  const only = (...allowed: string[]) => {
    if (!allowed.includes(method)) throw unsupported(`${method} is not supported on this registry endpoint`);
  };

  switch (r.kind) {
    case "ping":
      only("GET", "HEAD");
      d.access.check(request, null, "pull", realm);
      return new Response(method === "HEAD" ? null : "{}", { headers: headers({ "content-type": "application/json" }) });

    case "token": {
      only("GET");
      return Response.json(d.access.issueToken(request.headers.get("authorization")), { headers: API_VERSION });
    }

    case "blob": {
      if (method === "DELETE") throw unsupported("modelhub deletes blobs itself, after the versions that use them are deleted");
      only("GET", "HEAD");
      d.access.check(request, r.name, "pull", realm);
      const blob = d.registry.blob(r.name, r.digest);
      const common = { "docker-content-digest": r.digest, "accept-ranges": "bytes", "content-type": "application/octet-stream", etag: `"${r.digest}"` };
      if (method === "HEAD") return new Response(null, { headers: headers({ ...common, "content-length": String(blob.size) }) });
      const range = parseRange(request.headers.get("range"), blob.size);
      if (range === "unsatisfiable") return new Response(null, { status: 416, headers: headers({ "content-range": `bytes */${blob.size}` }) });
      const file = Bun.file(blob.path);
      if (range)
        return new Response(file.slice(range.start, range.end + 1), {
          status: 206,
          headers: headers({ ...common, "content-length": String(range.end - range.start + 1), "content-range": `bytes ${range.start}-${range.end}/${blob.size}` }),
        });
      return new Response(file, { headers: headers({ ...common, "content-length": String(blob.size) }) });
    }

    case "uploads": {
      only("POST");
      d.access.check(request, r.name, "push", realm);
      const mount = q.get("mount");
      const from = q.get("from");
      if (mount && from) {
        let mayRead = true;
        try {
          d.access.check(request, from, "pull", realm);
        } catch {
          mayRead = false;
        }
        if (d.registry.mount(r.name, from, mount, mayRead))
          return new Response(null, { status: 201, headers: headers({ location: `/v2/${r.name}/blobs/${mount}`, "docker-content-digest": mount, "content-length": "0" }) });
      }
      const session = await d.registry.startUpload(r.name);
      const digest = q.get("digest");
      if (digest !== null) {
        // Single-POST monolithic upload: the whole blob in this body.
        const committed = await d.registry.commit(session, digest, request.body);
        return new Response(null, { status: 201, headers: headers({ location: `/v2/${r.name}/blobs/${committed}`, "docker-content-digest": committed, "content-length": "0" }) });
      }
      return new Response(null, {
        status: 202,
        headers: headers({ location: `/v2/${r.name}/blobs/uploads/${session.uuid}`, "docker-upload-uuid": session.uuid, range: "0-0", "content-length": "0" }),
      });
    }

    case "upload": {
      only("GET", "PATCH", "PUT", "DELETE");
      d.access.check(request, r.name, "push", realm);
      const s = d.registry.upload(r.name, r.uuid);
      const location = `/v2/${r.name}/blobs/uploads/${s.uuid}`;
      if (method === "DELETE") {
        await d.registry.cancel(s);
        return new Response(null, { status: 204, headers: headers({}) });
      }
      if (method === "GET") return new Response(null, { status: 204, headers: headers({ location, range: uploadRange(s.offset), "docker-upload-uuid": s.uuid }) });
      if (method === "PATCH") {
        await d.registry.patch(s, request.body, request.headers.get("content-range"));
        return new Response(null, { status: 202, headers: headers({ location, range: uploadRange(s.offset), "docker-upload-uuid": s.uuid, "content-length": "0" }) });
      }
      const digest = await d.registry.commit(s, q.get("digest"), request.body);
      return new Response(null, { status: 201, headers: headers({ location: `/v2/${r.name}/blobs/${digest}`, "docker-content-digest": digest, "content-length": "0" }) });
    }

    case "manifest": {
      if (method === "DELETE") throw unsupported("delete the version with the modelhub API instead; its blobs are collected afterwards");
      only("GET", "HEAD", "PUT");
      if (method === "PUT") {
        d.access.check(request, r.name, "push", realm);
        const bytes = await readCapped(request, MAX_MANIFEST_BYTES);
        const { digest } = d.registry.putManifest(r.name, r.reference, bytes, request.headers.get("content-type"));
        return new Response(null, { status: 201, headers: headers({ location: `/v2/${r.name}/manifests/${digest}`, "docker-content-digest": digest, "content-length": "0" }) });
      }
      d.access.check(request, r.name, "pull", realm);
      const m = await d.registry.manifest(r.name, r.reference);
      const h = headers({ "content-type": m.mediaType, "docker-content-digest": m.digest, "content-length": String(m.size), etag: `"${m.digest}"` });
      if (method === "HEAD") return new Response(null, { headers: h });
      return new Response(Bun.file(m.path), { headers: h });
    }

    case "tags": {
      only("GET");
      d.access.check(request, r.name, "pull", realm);
      const n = Math.min(Math.max(Number(q.get("n") ?? 1000) || 1000, 1), 10_000);
      const tags = d.registry.tags(r.name, n, q.get("last") ?? undefined);
      const extra: Record<string, string> = {};
      if (tags.length === n) extra.link = `</v2/${r.name}/tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1])}>; rel="next"`;
      return Response.json({ name: r.name, tags }, { headers: headers(extra) });
    }

    case "referrers":
      throw new DistributionError(404, "NAME_UNKNOWN", "modelhub does not serve the referrers API; use the tag schema");
    case "catalog":
      throw unsupported("modelhub does not list repositories here; GET /v1/models lists the models");
    default:
      throw new DistributionError(404, "NAME_UNKNOWN", `no registry endpoint at ${url.pathname}`);
  }
}

/** A manifest body, refused past `max` bytes while it is read (the Content-Length may be absent). */
async function readCapped(request: Request, max: number): Promise<Uint8Array> {
  const tooBig = () => new DistributionError(413, "MANIFEST_INVALID", `manifests are limited to ${max} bytes`);
  if (Number(request.headers.get("content-length") ?? 0) > max) throw tooBig();
  const parts: Uint8Array[] = [];
  let total = 0;
  if (request.body)
    for await (const chunk of request.body) {
      total += chunk.length;
      if (total > max) throw tooBig();
      parts.push(chunk);
    }
  return Buffer.concat(parts);
}
