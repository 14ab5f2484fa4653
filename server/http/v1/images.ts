// modelhub extensions for moving images without `docker` at hand:
//   POST /v1/images/pull                     pull through the engine, progress as NDJSON, then add to the catalog
//   GET  /v1/models/{o}/{n}/versions/{id}/image   the version's image as a tar (docker save), streamed
//   POST /v1/images/loads, PUT …/{id}?offset=N, POST …/{id}/finish, DELETE …/{id}
//                                            a docker load fed in parts, each within --max-body-size
import { Elysia } from "elysia";
import { parseModelName } from "../../catalog/catalog.ts";
import { importImage } from "../../catalog/import-image.ts";
import { ImagePull } from "../../contract/wire-image.ts";
import { AppError, badRequest, notFound, problemBody, unavailable } from "../../errors.ts";
import { ImageRefError, parseImageRef } from "../../runtime/image-ref.ts";
import type { ImageLoads } from "../../runtime/image-loads.ts";
import { type ImageTransfer, PullError } from "../../runtime/image-transfer.ts";
import { DockerUnavailableError, ImageNotFoundError, RuntimeError } from "../../runtime/runtime.ts";
import { readBody } from "../transport/body.ts";
import type { HttpDeps } from "../http-context.ts";
import { presentVersion } from "../present-catalog.ts";
import { json, noContent } from "../respond.ts";

export interface ImageServices {
  transfer: ImageTransfer;
  loads: ImageLoads;
}

/** Engine failures as problems: a missing image is a 404, an engine that is down a 503. */
export function engineProblem(err: unknown, loading = false): unknown {
  if (err instanceof AppError || !(err instanceof RuntimeError)) return err;
  if (err instanceof DockerUnavailableError) return unavailable(err.message, "docker_unavailable");
  const m = err.message;
  if (err instanceof PullError && err.kind === "unreachable") return badRequest(m);
  if (err instanceof ImageNotFoundError || /not found|manifest unknown|pull access denied|repository does not exist|no such image/i.test(m))
    return new AppError(404, "Image not found", m);
  if (loading) return badRequest(`That is not an image tar as docker save writes it: ${m}`);
  return new AppError(502, "Docker engine error", m);
}

export function imageRoutes(d: HttpDeps, images: ImageServices) {
  const enc = new TextEncoder();
  const line = (v: unknown) => enc.encode(JSON.stringify(v) + "\n");

  return new Elysia({ name: "v1-images" })
    .post("/v1/images/pull", async ({ request }) => {
      const b = await readBody(request, ImagePull, d.maxJsonBytes);
      let ref;
      try {
        ref = parseImageRef(b.image);
      } catch (err) {
        if (err instanceof ImageRefError) throw badRequest(err.message);
        throw err;
      }
      if (b.name !== undefined) parseModelName(b.name);
      // The engine's answer to the pull request decides the status (a 404 for an unknown image, a
      // 503 for an engine that is down); after that, progress goes out as it comes, and a failure
      // is the last line, as a problem.
      let pending: Uint8Array[] = [];
      let wake: (() => void) | null = null;
      let firstEvent!: () => void;
      const started = new Promise<void>((r) => (firstEvent = r));
      const push = (v: unknown) => {
        pending.push(line(v));
        firstEvent();
        wake?.();
      };
      const done = images.transfer.pull(ref, push).then(async () => {
        const { version, created } = await importImage(d.runtime, d.catalog, ref.full, b.name);
        push({ status: created ? "added" : "already in the catalog", model: version.model, version: presentVersion(version) });
      });
      try {
        await Promise.race([started, done]);
      } catch (err) {
        throw engineProblem(err);
      }
      let finished = false;
      done.then(
        () => {},
        (err) => {
          const e = engineProblem(err);
          push({ error: e instanceof AppError ? problemBody(e) : { title: "Pull failed", detail: (e as Error).message, status: 500 } });
        },
      ).finally(() => {
        finished = true;
        wake?.();
      });
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          while (!pending.length && !finished) await new Promise<void>((r) => (wake = r));
          wake = null;
          const out = pending;
          pending = [];
          for (const chunk of out) c.enqueue(chunk);
          if (finished && !pending.length) c.close();
        },
      });
      return new Response(body, { headers: { "content-type": "application/x-ndjson", "cache-control": "no-store", "x-accel-buffering": "no" } });
    })
    .get("/v1/models/:owner/:name/versions/:id/image", async ({ params }) => {
      const m = d.catalog.getModel(params.owner, params.name);
      const v = d.catalog.findVersion(params.id);
      if (!v || v.modelId !== m.id) throw notFound(`Version ${params.id} not found for model ${params.owner}/${params.name}`);
      try {
        // By its reference while that still names this version (the tar then carries the tag), else by id.
        const byRef = await images.transfer.size(v.image).catch(() => null);
        const info = byRef && byRef.id === v.id ? byRef : await images.transfer.size(v.id);
        const tar = await images.transfer.save(byRef?.id === v.id ? v.image : v.id);
        return new Response(tar, {
          headers: { "content-type": "application/x-tar", "x-image-size": String(info.bytes), "x-image-id": v.id, "content-disposition": `attachment; filename="${m.name}.image.tar"` },
        });
      } catch (err) {
        throw engineProblem(err);
      }
    })
    .post("/v1/images/loads", () => json({ id: images.loads.start() }, 201))
    .put("/v1/images/loads/:id", async ({ request, params }) => {
      const offset = Number(new URL(request.url).searchParams.get("offset") ?? "0");
      if (!Number.isInteger(offset) || offset < 0) throw badRequest("offset must be the number of bytes sent so far");
      try {
        return json({ received: await images.loads.append(params.id, offset, request.body, d.maxJsonBytes) });
      } catch (err) {
        throw engineProblem(err, true);
      }
    })
    .post("/v1/images/loads/:id/finish", async ({ params }) => {
      try {
        return json({ images: await images.loads.finish(params.id) });
      } catch (err) {
        throw engineProblem(err, true);
      }
    })
    .delete("/v1/images/loads/:id", ({ params }) => {
      images.loads.abort(params.id);
      return noContent();
    });
}
