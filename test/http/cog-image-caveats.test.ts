// Images modelhub cannot run well are refused or warned about, with the reason: a trainings-only
// Cog image (nothing to predict with) is a 422 naming why; an image built by Cog before 0.7 (no
// /health-check, no async predictions) is imported with a warning in `cog_runtime` and in
// `modelhub models add`.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { addModel } from "../../cli/commands/models.ts";
import { Client } from "../../cli/client.ts";
import { cogLabels, loadSchema } from "../helpers/cog-schema-fixtures.ts";
import { testApp, type TestApp } from "../helpers/test-app.ts";

const hello = loadSchema("hello-world-cog-0.13.6-pydantic1.json");
const { Input: _input, Output: _output, ...trainingSchemas } = (hello.components as { schemas: Record<string, unknown> }).schemas;
const trainingsOnly = {
  ...hello,
  components: { schemas: { ...trainingSchemas, TrainingInput: { type: "object", properties: { steps: { type: "integer" } } }, TrainingOutput: { type: "object" } } },
};
/** What Cog 0.6 wrote: the legacy org.cogmodel.* labels. */
const cog06 = {
  "org.cogmodel.cog_version": "0.6.1",
  "org.cogmodel.config": JSON.stringify({ build: { gpu: false }, predict: "predict.py:Predictor" }),
  "org.cogmodel.openapi_schema": JSON.stringify(hello),
};

describe("images modelhub cannot run well", () => {
  let h: TestApp;
  let server: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    h = testApp();
    h.runtime.addImage("acme/trainer:latest", cogLabels(trainingsOnly, { build: { gpu: false }, train: "train.py:train" }));
    h.runtime.addImage("acme/old:latest", cog06);
    h.runtime.addImage("acme/old-cli:latest", { ...cog06, "org.cogmodel.cog_version": "0.5.3" });
    h.runtime.addImage("acme/hello:latest", cogLabels(hello));
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => h.app.handle(req) });
  });
  afterAll(() => {
    server?.stop(true);
    h.close();
  });

  it("refuses a trainings-only image with a 422 that says why and what to do", async () => {
    const r = await h.req("POST", "/v1/models/acme/trainer/versions", { image: "acme/trainer:latest" });
    expect(r.status).toBe(422);
    const body = (await r.json()) as { detail: string };
    expect(body.detail).toContain("trainings-only");
    expect(body.detail).toContain("Add a `predict` entry to cog.yaml");
    expect((await h.req("GET", "/v1/models/acme/trainer")).status).toBe(404); // nothing half-imported
  });

  it("imports an image built by Cog before 0.7 with a warning that names what it cannot do", async () => {
    const r = await h.req("POST", "/v1/models/acme/old/versions", { image: "acme/old:latest" });
    expect(r.status).toBe(201);
    const v = (await r.json()) as { id: string; cog_version: string; cog_runtime: { line: string; warning?: string } };
    expect(v.cog_version).toBe("0.6.1");
    expect(v.cog_runtime.line).toBe("python");
    expect(v.cog_runtime.warning).toContain("Built with Cog 0.6.1 (before 0.7)");
    expect(v.cog_runtime.warning).toContain("no /health-check and no async predictions");
    const again = (await (await h.req("GET", `/v1/models/acme/old/versions/${v.id}`)).json()) as typeof v;
    expect(again.cog_runtime.warning).toBe(v.cog_runtime.warning);
  });

  it("shows the warning in `modelhub models add`, and none for a current image", async () => {
    const client = new Client(`http://127.0.0.1:${server.port}`);
    const old = await addModel(client, "acme/old-cli:latest", "acme/old-cli");
    expect(old).toContain("cog 0.5.3 (Cog's Python server)");
    expect(old).toMatch(/\n {2}warning: Built with Cog 0\.5\.3 \(before 0\.7\)/);
    const current = await addModel(client, "acme/hello:latest", "acme/hello");
    expect(current).toContain("cog 0.13.6 (Cog's Python server)");
    expect(current).not.toContain("warning");
  });
});
