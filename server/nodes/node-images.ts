// How a version's image reaches a node that lacks it: the node's engine pulls it from modelhub's own
// registry when the registry holds it (a pushed version) and an address the nodes reach is set
// (--node-registry-url); otherwise, or when that pull fails, modelhub streams it from the local
// engine (`docker save` → the node's `docker load`). Either way the caller then checks the digest.
// The decision is pure (chooseImageRoute); bringImage runs it with the fallback.
import type { Logger } from "../log.ts";

/** What the registry tells the nodes (implemented by server/registry/registry.ts). */
export interface RegistryImages {
  /** the repository, manifest digest and engine image id of a pushed version's reference; null otherwise */
  nodeSource(image: string): { repo: string; manifestDigest: string; engineRef: string } | null;
  /** X-Registry-Auth for a node's pull of `repo` (a short-lived pull token), or null when none is needed */
  nodePullAuth(repo: string): Record<string, string> | null;
}

export type ImageRoute =
  | { kind: "pull"; ref: string; repo: string }
  | { kind: "stream"; reason: string };

/** Pure: pull from the registry at `registryUrl` (HOST:PORT as the nodes reach it) or stream, and why. */
export function chooseImageRoute(image: string, registryUrl: string, registry: RegistryImages | null): ImageRoute {
  const source = registry?.nodeSource(image) ?? null;
  if (!source) return { kind: "stream", reason: "modelhub's registry does not hold this image (only pushed versions are there)" };
  if (!registryUrl) return { kind: "stream", reason: "no --node-registry-url: nodes have no address of modelhub's registry" };
  return { kind: "pull", ref: `${registryUrl}/${source.repo}@${source.manifestDigest}`, repo: source.repo };
}

export interface BringImage {
  node: string;
  image: string;
  route: ImageRoute;
  /** the node's engine pulls `ref` (Engine API POST /images/create with X-Registry-Auth) */
  pull(ref: string, auth: Record<string, string> | null, progress: (line: string) => void): Promise<void>;
  /** streams the image from the local engine to the node */
  stream(progress: (line: string) => void): Promise<void>;
  auth(repo: string): Record<string, string> | null;
  progress: (line: string) => void;
  logger: Logger;
}

/** Runs the route; a failed pull falls back to streaming, with the reason logged (never the token). */
export async function bringImage(o: BringImage): Promise<"pulled" | "streamed"> {
  if (o.route.kind === "pull") {
    try {
      o.progress(`pulling ${o.route.ref} from modelhub's registry`);
      await o.pull(o.route.ref, o.auth(o.route.repo), throttled(o.progress));
      return "pulled";
    } catch (err) {
      o.logger.warn("the node could not pull from modelhub's registry; streaming the image from the local engine instead", {
        node: o.node,
        image: o.image,
        reason: (err as Error).message,
      });
    }
  } else {
    o.logger.info("streaming an image to a node from the local engine", { node: o.node, image: o.image, reason: o.route.reason });
  }
  await o.stream(o.progress);
  return "streamed";
}

/** The engine's per-chunk byte counts at most every 2 s; every other status line as it comes. */
function throttled(progress: (line: string) => void, everyMs = 2_000): (line: string) => void {
  let last = 0;
  return (line) => {
    if (/Downloading|Extracting/.test(line)) {
      if (Date.now() - last < everyMs) return;
      last = Date.now();
    }
    progress(line);
  };
}
