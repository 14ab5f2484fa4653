// DELETE /v1/predictions/{id} (modelhub extension): the token that made a prediction, or an admin,
// deletes it with its output files; anyone else gets the same 404 as for a prediction they cannot
// see; one still running is a 409 until it is canceled. Fixture processes stand in for containers.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { createApp } from "../../server/app.ts";
import { ORIGIN, ProcessHub } from "../helpers/process-hub.ts";
import { until } from "../helpers/until.ts";

let hub: ProcessHub;
let app: ReturnType<typeof createApp>;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
let admin: Record<string, string>;
let ada: Record<string, string>;
let bob: Record<string, string>;

function req(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  return app.handle(new Request(ORIGIN + path, init));
}

beforeAll(async () => {
  hub = await ProcessHub.start({ auth: "on" });
  await hub.addModel("image");
  await hub.addModel("slow");
  await hub.addModel("hello");
  app = createApp(hub.services.http);
  admin = auth(hub.services.tokens.create("root", "admin").token);
  ada = auth(hub.services.tokens.create("ada", "user").token);
  bob = auth(hub.services.tokens.create("bob", "user").token);
}, 30_000);
afterAll(() => hub.close());

describe("DELETE /v1/predictions/{id}", () => {
  it("deletes the maker's prediction with its output files; others get 404 and it stays", async () => {
    const made = await req("POST", "/v1/models/acme/image/predictions", { ...ada, prefer: "wait" }, { input: { width: 256, height: 256 } });
    expect(made.status).toBe(201);
    const p = (await made.json()) as { id: string; status: string; output: string | string[] };
    expect(p.status).toBe("succeeded");
    const outputUrl = [p.output].flat()[0];
    const fileIds = () => (hub.current.db.query("SELECT id FROM files WHERE prediction_id = ?").all(p.id) as { id: string }[]).map((r) => r.id);
    const paths = fileIds().map((id) => hub.services.files.blobPath(hub.services.files.byId(id)!));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(await Bun.file(path).exists()).toBe(true);
    const filePath = new URL(outputUrl).pathname;
    expect((await app.handle(new Request(ORIGIN + filePath))).status).toBe(200);

    expect((await req("DELETE", `/v1/predictions/${p.id}`, bob)).status).toBe(404);
    expect((await req("GET", `/v1/predictions/${p.id}`, ada)).status).toBe(200);

    expect((await req("DELETE", `/v1/predictions/${p.id}`, ada)).status).toBe(204);
    expect((await req("GET", `/v1/predictions/${p.id}`, ada)).status).toBe(404);
    expect((await req("GET", `/v1/predictions/${p.id}`, admin)).status).toBe(404);
    expect(hub.services.store.get(p.id)).toBeNull();
    expect(fileIds()).toEqual([]);
    for (const path of paths) expect(await Bun.file(path).exists()).toBe(false);
    expect((await app.handle(new Request(ORIGIN + filePath))).status).toBe(404);
    // Gone is gone: a second DELETE is a 404.
    expect((await req("DELETE", `/v1/predictions/${p.id}`, ada)).status).toBe(404);
  });

  it("lets an admin delete anyone's prediction, and the model's run count follows", async () => {
    const runs = async () => ((await (await req("GET", "/v1/models/acme/hello", admin)).json()) as { run_count: number }).run_count;
    const made = await req("POST", "/v1/models/acme/hello/predictions", { ...ada, prefer: "wait" }, { input: { text: "x" } });
    const id = ((await made.json()) as { id: string }).id;
    await until("its record to be stored", async () => hub.services.store.get(id) !== null);
    const before = await runs();
    expect((await req("DELETE", `/v1/predictions/${id}`, admin)).status).toBe(204);
    expect(await runs()).toBe(before - 1);
    expect(hub.services.store.get(id)).toBeNull();
  });

  it("refuses a running prediction (409, cancel it first), then deletes it once canceled", async () => {
    const made = await req("POST", "/v1/models/acme/slow/predictions", ada, { input: { seconds: 60 } });
    expect(made.status).toBe(201);
    const id = ((await made.json()) as { id: string }).id;
    const refused = await req("DELETE", `/v1/predictions/${id}`, ada);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toContain(`/v1/predictions/${id}/cancel`);
    expect((await req("POST", `/v1/predictions/${id}/cancel`, ada)).status).toBe(200);
    await hub.settled(id);
    expect((await req("DELETE", `/v1/predictions/${id}`, ada)).status).toBe(204);
    expect((await req("GET", `/v1/predictions/${id}`, ada)).status).toBe(404);
    // The run's deferred final write does not bring it back.
    await Bun.sleep(50);
    expect(hub.services.store.get(id)).toBeNull();
  });

  it("answers 404 for an id that never existed, and 401 without a token", async () => {
    expect((await req("DELETE", "/v1/predictions/nosuchpredictionxxxxxxxxxx", ada)).status).toBe(404);
    expect((await req("DELETE", "/v1/predictions/nosuchpredictionxxxxxxxxxx", {})).status).toBe(401);
  });
});
