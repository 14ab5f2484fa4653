// The relay and its loopback link on this machine, without Docker: a plain HTTP "container" on
// 127.0.0.1 stands behind a real relay (TLS, pinned certificates made by openssl) reached through a
// real relay link. Streams must pass chunk by chunk, bodies both ways, and only the right client
// certificate, target range and callback paths get through.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RelayCerts, ensureRelayCerts } from "../../server/nodes/relay/relay-certs.ts";
import { engineHostName } from "../../server/nodes/relay/relay-pool.ts";
import { type RunningRelay, cidrContains, splitTarget, startRelay } from "../../server/nodes/relay/relay-server.ts";
import { type RelayLink, startRelayLink } from "../../server/nodes/relay-link.ts";

describe("relay paths and ranges (pure)", () => {
  it("splits /<ip>/<path>?query and refuses anything else", () => {
    expect(splitTarget("/172.18.0.5/predictions/abc?x=1")).toEqual({ ip: "172.18.0.5", path: "/predictions/abc?x=1" });
    expect(splitTarget("/172.18.0.5")).toEqual({ ip: "172.18.0.5", path: "/" });
    expect(splitTarget("/172.18.0.5?q")).toEqual({ ip: "172.18.0.5", path: "/?q" });
    expect(splitTarget("/300.1.1.1/x")).toBeNull();
    expect(splitTarget("/name/x")).toBeNull();
    expect(splitTarget("//172.18.0.5/x")).toBeNull();
  });

  it("tells addresses inside a CIDR from the rest", () => {
    const inside = cidrContains("172.18.0.0/16");
    expect(inside("172.18.255.1")).toBe(true);
    expect(inside("172.19.0.1")).toBe(false);
    expect(inside("10.0.0.1")).toBe(false);
    expect(inside("not-an-ip")).toBe(false);
    expect(() => cidrContains("0.0.0.0/0")).toThrow();
    expect(() => cidrContains("example")).toThrow();
  });

  it("finds the host of an engine address", () => {
    expect(engineHostName("tcp://10.0.0.7:2376")).toBe("10.0.0.7");
    expect(engineHostName("tcp://gpu-1.lan:2376")).toBe("gpu-1.lan");
    expect(engineHostName("tcp://[fd00::7]:2376")).toBe("fd00::7");
  });
});

describe("relay and relay link over loopback", () => {
  let dir: string;
  let certs: RelayCerts;
  let other: RelayCerts;
  let container: http.Server;
  let containerPort: number;
  let modelhub: http.Server;
  let relay: RunningRelay;
  let link: RelayLink;
  let releaseStream: () => void = () => {};
  const seenByModelhub: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "modelhub-relay-"));
    [certs, other] = await Promise.all([ensureRelayCerts(join(dir, "a"), "127.0.0.1"), ensureRelayCerts(join(dir, "b"), "127.0.0.1")]);
    container = http.createServer((req, res) => {
      if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: first\n\n");
        releaseStream = () => res.end("data: last\n\n");
        return;
      }
      if (req.url?.startsWith("/echo")) {
        res.writeHead(200, { "content-type": "application/octet-stream", "x-path": req.url });
        req.pipe(res);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => container.listen(0, "127.0.0.1", r));
    containerPort = (container.address() as AddressInfo).port;
    modelhub = http.createServer((req, res) => {
      seenByModelhub.push(req.url ?? "");
      res.end("ok");
    });
    await new Promise<void>((r) => modelhub.listen(0, "127.0.0.1", r));
    relay = await startRelay({
      cert: certs.relayCert,
      key: certs.relayKey,
      clientCert: certs.clientCert,
      host: "127.0.0.1",
      port: 0,
      targetCidr: "127.0.0.0/8",
      targetPort: containerPort,
      callback: { host: "127.0.0.1", port: 0, url: `http://127.0.0.1:${(modelhub.address() as AddressInfo).port}` },
    });
    link = await startRelayLink({ host: "127.0.0.1", port: relay.port, relayCert: certs.relayCert, cert: certs.clientCert, key: certs.clientKey, containerPort });
  });

  afterAll(async () => {
    releaseStream();
    await link?.close();
    await relay?.close();
    container?.close();
    modelhub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("streams an event before the container has finished its answer", async () => {
    const r = await fetch(`${link.endpointFor("127.0.0.1")}/stream`);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const reader = r.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe("data: first\n\n");
    releaseStream();
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe("data: last\n\n");
  });

  it("carries a large body there and back, path and query intact", async () => {
    const body = new Uint8Array(4 * 1024 * 1024).map((_, i) => i % 251);
    const r = await fetch(`${link.endpointFor("127.0.0.1")}/echo/x?y=1`, { method: "POST", body });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-path")).toBe("/echo/x?y=1");
    const back = new Uint8Array(await r.arrayBuffer());
    expect(back.length).toBe(body.length);
    expect(Buffer.compare(back, body)).toBe(0);
  });

  it("answers 403 outside the models network and 502 for a container that is not there", async () => {
    const outside = await fetch(`${link.endpointFor("10.1.2.3")}/health-check`);
    expect(outside.status).toBe(403);
    const gone = await startRelay({ ...{ cert: certs.relayCert, key: certs.relayKey, clientCert: certs.clientCert }, host: "127.0.0.1", port: 0, targetCidr: "127.0.0.0/8", targetPort: 1 });
    const l2 = await startRelayLink({ host: "127.0.0.1", port: gone.port, relayCert: certs.relayCert, cert: certs.clientCert, key: certs.clientKey, containerPort: 1 });
    try {
      const r = await fetch(`${l2.endpointFor("127.0.0.1")}/health-check`);
      expect(r.status).toBe(502);
    } finally {
      await l2.close();
      await gone.close();
    }
  });

  const direct = (opts: https.RequestOptions) =>
    new Promise<string>((resolve) => {
      const req = https.request({ host: "127.0.0.1", port: relay.port, path: "/127.0.0.1/echo", ca: certs.relayCert, ...opts }, (res) => resolve(String(res.statusCode)));
      req.on("error", (e) => resolve(`error: ${e.message}`));
      req.end();
    });

  it("lets in only the client certificate it pins", async () => {
    expect(await direct({ cert: certs.clientCert, key: certs.clientKey })).toBe("200");
    expect(await direct({})).toStartWith("error");
    // a client certificate that is valid, but not this node's
    expect(await direct({ cert: other.clientCert, key: other.clientKey })).toStartWith("error");
  });

  it("is trusted by its link only with its own certificate", async () => {
    const wrong = await startRelayLink({ host: "127.0.0.1", port: relay.port, relayCert: other.relayCert, cert: certs.clientCert, key: certs.clientKey, containerPort });
    try {
      const r = await fetch(`${wrong.endpointFor("127.0.0.1")}/echo`);
      expect(r.status).toBe(502);
    } finally {
      await wrong.close();
    }
  });

  it("gives each container a port of its own, and closes the ports of containers that are gone", async () => {
    const kept = link.endpointFor("127.0.0.1");
    const gone = link.endpointFor("gone-container");
    expect(gone).not.toBe(kept);
    expect(link.endpointFor("gone-container")).toBe(gone);
    expect(await link.sweep(async (name) => name !== "gone-container", 0)).toBe(1);
    expect(await fetch(`${gone}/health-check`).then(() => "answered", () => "refused")).toBe("refused");
    expect((await fetch(`${kept}/echo`, { method: "POST", body: "still" })).status).toBe(200);
  });

  it("sends containers' /internal/ callbacks to modelhub and nothing else", async () => {
    const cb = `http://127.0.0.1:${relay.callbackPort}`;
    expect((await fetch(`${cb}/internal/webhooks/tok`, { method: "POST", body: "{}" })).status).toBe(200);
    expect((await fetch(`${cb}/v1/predictions`)).status).toBe(404);
    expect(seenByModelhub).toEqual(["/internal/webhooks/tok"]);
  });
});
