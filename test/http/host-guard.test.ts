import { describe, expect, it } from "bun:test";
import { hostGuard, hostnameOf } from "../../server/http/host-guard.ts";
import { testApp } from "../helpers/test-app.ts";

const req = (host: string | null) => new Request("http://x/v1/models", { headers: host === null ? {} : { host } });

describe("host guard", () => {
  const loopback = hostGuard("127.0.0.1", "");
  const table: [string | null, number | undefined][] = [
    ["127.0.0.1:5100", undefined],
    ["localhost:5100", undefined],
    ["[::1]:5100", undefined],
    ["127.0.0.2", undefined],
    [null, undefined],
    ["evil.example:5100", 403],
    ["192.168.1.20:5100", 403],
    ["localhost.evil.example", 403],
  ];
  for (const [host, status] of table)
    it(`bound to loopback, Host ${host ?? "(none)"} → ${status ?? "allowed"}`, () => expect(loopback(req(host))?.status).toBe(status));

  it("allows the configured public URL's host", () => {
    expect(hostGuard("127.0.0.1", "https://models.lab.example")(req("models.lab.example"))).toBeUndefined();
  });

  it("allows the --node-registry-url host nodes pull through, and still no other", () => {
    const guard = hostGuard("127.0.0.1", "", "10.0.0.1:5101");
    expect(guard(req("10.0.0.1:5101"))).toBeUndefined();
    expect(guard(req("10.0.0.2:5101"))?.status).toBe(403);
  });

  it("allows any host when the user bound modelhub to the network", () => {
    expect(hostGuard("0.0.0.0", "")(req("gpu-box.lan:5100"))).toBeUndefined();
  });

  it("parses host headers", () => {
    expect(["[::1]:80", "a.b:80", "A.B"].map(hostnameOf)).toEqual(["[::1]", "a.b", "a.b"]);
  });

  it("answers a foreign Host with a 403 problem that says what to do, through the app", async () => {
    const h = testApp({ flags: { "public-url": "" } });
    const r = await h.app.handle(new Request("http://evil.example:5100/v1/models", { headers: { host: "evil.example:5100" } }));
    expect(r.status).toBe(403);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(((await r.json()) as { detail: string }).detail).toContain("--public-url");
    const ok = await h.app.handle(new Request("http://127.0.0.1:5100/v1/models", { headers: { host: "127.0.0.1:5100" } }));
    expect(ok.status).toBe(200);
    h.close();
  });
});
