// Image references reaching the Docker Engine API: parsed with Docker's grammar (the parser's own
// cases are in image-ref.test.ts), escaped into the path, and a redirect from "the engine" is never
// followed (the issue's `../x` crash and probe).
import { afterAll, describe, expect, it } from "bun:test";
import { escapeImageReference, parseImageReference } from "../../server/runtime/image-ref.ts";
import { DockerRuntime } from "../../server/runtime/docker.ts";
import { InvalidImageReferenceError } from "../../server/runtime/runtime.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { testApp } from "../helpers/test-app.ts";

describe("references on the way to the Engine API", () => {
  const good = [
    "hello",
    "acme/hello:latest",
    "modelhub-test/hello:latest",
    "localhost:5000/acme/hello:v1.2",
    "registry.example.com/a/b/c@sha256:" + "a".repeat(64),
    "a__b/c-d.e_f:TAG_1.0-x",
    "sha256:" + "0".repeat(64),
    "[::1]:5000/x/y:z",
  ];
  const bad = ["../x", "../127.0.0.1:9/probe?x=1", "acme/Hello", "a//b", "a/b/", "/a", "a/../b", "a?b", "a#b", "a b", "a:b:c", "a@sha256:xyz", ":tag", "a/b%2F..", "x:" + "t".repeat(129)];
  for (const ref of good) it(`accepts ${ref}`, () => expect("error" in parseImageReference(ref)).toBe(false));
  for (const ref of bad) it(`refuses ${JSON.stringify(ref)}`, () => expect("error" in parseImageReference(ref)).toBe(true));

  it("escapes a reference into one path segment", () => {
    expect(escapeImageReference("localhost:5000/acme/hello:v1")).toBe("localhost%3A5000%2Facme%2Fhello%3Av1");
  });
});

describe("the Docker runtime", () => {
  // A stand-in engine that redirects every request, and the host it points at.
  let probed = 0;
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (probed++, new Response("{}")) });
  const paths: string[] = [];
  const engine = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => {
      paths.push(new URL(req.url).pathname);
      return new Response(null, { status: 301, headers: { location: `http://127.0.0.1:${probe.port}/probe?x=1` } });
    },
  });
  afterAll(() => {
    probe.stop(true);
    engine.stop(true);
  });

  it("never sends a bad reference to the engine", async () => {
    const rt = new DockerRuntime(`tcp://127.0.0.1:${engine.port}`);
    const err = await rt.inspectImage("../127.0.0.1:9/probe?x=1").catch((e) => e);
    expect(err).toBeInstanceOf(InvalidImageReferenceError);
    expect(paths).toEqual([]);
  });

  it("sends a good one escaped, and does not follow the engine's redirect", async () => {
    const rt = new DockerRuntime(`tcp://127.0.0.1:${engine.port}`);
    const err = await rt.inspectImage("acme/hello:latest").catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(paths).toEqual(["/images/acme%2Fhello%3Alatest/json"]);
    expect(probed).toBe(0);
  });
});

describe("POST /v1/models/{owner}/{name}/versions", () => {
  it("answers 400 naming a reference that is not one, and keeps serving", async () => {
    const h = testApp();
    h.runtime.addImage("acme/hello:latest", cogLabels(loadSchema("hello-world-cog-0.13.6-pydantic1.json")));
    for (const image of ["../x", "../127.0.0.1:9/probe?x=1"]) {
      const res = await h.req("POST", "/v1/models/a/b/versions", { image });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { detail: string }).detail).toContain(`"${image}"`);
    }
    expect((await h.req("POST", "/v1/models/a/b/versions", { image: "acme/hello:latest" })).status).toBe(201);
    h.close();
  });
});
