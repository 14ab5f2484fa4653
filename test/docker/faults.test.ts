// Faults, on purpose, against the real engine: what the user sees, that nothing accepted is lost or
// stuck, and that the database stays sound (PRAGMA integrity_check) after each.
//   - a container killed mid-prediction, again and again
//   - the image deleted behind modelhub's back
//   - a container that never becomes ready (setup timeout)
//   - a webhook receiver that is down
//   - another modelhub on another data folder starting beside this one
// (Engine stopped/started: foundation-e2e.test.ts; modelhub SIGKILLed and restarted: recovery.test.ts;
// a second server on the same folder: test/server/data-lock.test.ts.)
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { join } from "node:path";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.ts";
import { containersOf, docker, TERMINAL, until } from "./scheduler-helpers.ts";

/** A throwaway image of its own (a unique label makes a unique image id), built from a fixture. */
function buildVariant(from: string, lines: string[]): string {
  const tag = `modelhub-test-fault/${Math.random().toString(36).slice(2, 10)}:latest`;
  const p = Bun.spawnSync(["docker", "build", "-q", "-t", tag, "-"], {
    stdin: new TextEncoder().encode([`FROM ${from}`, ...lines, `LABEL modelhub.test.fault="${tag}"`].join("\n") + "\n"),
    env: { ...process.env, DOCKER_BUILDKIT: "0" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (p.exitCode !== 0) throw new Error(`docker build failed: ${p.stderr.toString()}`);
  return tag;
}

function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, "modelhub.db"), { readonly: true });
  try {
    return (db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check;
  } finally {
    db.close();
  }
}

describe.skipIf(!dockerTests)("faults", () => {
  let s: LiveServer;
  const images: string[] = [];
  beforeAll(async () => {
    s = await startLiveServer({ "setup-timeout": "3" });
    await s.addModel("modelhub-test/slow:latest", "faults/slow");
    await s.addModel("modelhub-test/hello:latest", "faults/hello");
  }, 60_000);
  afterAll(async () => {
    await s?.[Symbol.asyncDispose]();
    for (const img of images) docker("rmi", "-f", img);
  });

  const wait = (id: string) =>
    until(`prediction ${id} to end`, async () => {
      const r = await s.api("GET", `/v1/predictions/${id}`);
      return TERMINAL.has(r.body.status) ? r.body : null;
    });

  it("a container killed mid-prediction fails that prediction with the exit reason, every time, and the next one runs", async () => {
    const rounds = 3;
    for (let i = 0; i < rounds; i++) {
      const p = (await s.api("POST", "/v1/predictions", { version: "faults/slow", input: { seconds: 30 } })).body;
      await until("processing", async () => (await s.api("GET", `/v1/predictions/${p.id}`)).body.status === "processing");
      const running = containersOf(s.dataDir, true);
      expect(running.length).toBe(1);
      docker("kill", running[0]);
      const done = await wait(p.id);
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(/exit|stopped|died|killed/i);
    }
    const ok = await s.api("POST", "/v1/predictions", { version: "faults/slow", input: { seconds: 0.1 } }, { Prefer: "wait" });
    expect(ok.body.status).toBe("succeeded");
    expect(integrity(s.dataDir)).toBe("ok");
    console.log(`faults: ${rounds}/${rounds} killed containers failed their prediction with the reason; the next one succeeded`);
  }, 120_000);

  it("an image deleted behind modelhub's back fails its prediction saying so, and nothing is left running", async () => {
    const tag = buildVariant("modelhub-test/hello:latest", []);
    images.push(tag);
    await s.addModel(tag, "faults/vanished");
    docker("rmi", "-f", tag);
    const r = await s.api("POST", "/v1/predictions", { version: "faults/vanished", input: { text: "x" } }, { Prefer: "wait=20" });
    const done = r.status === 201 && TERMINAL.has(r.body.status) ? r.body : await wait(r.body.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/image/i);
    expect(integrity(s.dataDir)).toBe("ok");
  }, 60_000);

  it("a container that never becomes ready fails after the setup timeout, and its container is removed", async () => {
    const tag = buildVariant("modelhub-test/hello:latest", ["ENV COG_FIXTURE_SETUP_MS=600000"]);
    images.push(tag);
    await s.addModel(tag, "faults/never-ready");
    const started = performance.now();
    const r = await s.api("POST", "/v1/predictions", { version: "faults/never-ready", input: { text: "x" } });
    const done = await wait(r.body.id);
    const seconds = (performance.now() - started) / 1000;
    expect(done.status).toBe("failed");
    expect(done.error).toMatch(/setup|ready|timeout|timed out/i);
    // Its container goes; the other models' may stay.
    await until("the never-ready container removed", () => !docker("ps", "-a", "-q", "--filter", `ancestor=${tag}`).out);
    expect(integrity(s.dataDir)).toBe("ok");
    console.log(`faults: never-ready container failed its prediction after ${seconds.toFixed(1)} s (--setup-timeout 3)`);
  }, 60_000);

  it("a webhook receiver that is down does not hold up the prediction; the failures are counted", async () => {
    // A port nothing listens on: bind one, note it, close it.
    const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = probe.port;
    probe.stop(true);
    const r = await s.api(
      "POST",
      "/v1/predictions",
      { version: "faults/hello", input: { text: "down" }, webhook: `http://127.0.0.1:${port}/hook`, webhook_events_filter: ["completed"] },
      { Prefer: "wait" },
    );
    expect(r.body.status).toBe("succeeded");
    expect(r.body.output).toBe("hello down");
    const failed = await until("a failed delivery counted", async () => {
      const f = parsePrometheusText(await (await fetch(`${s.url}/metrics`)).text());
      return sampleValue(f, "modelhub_webhook_deliveries_total", { outcome: "failed" }) || null;
    });
    expect(failed).toBeGreaterThanOrEqual(1);
    expect((await s.api("GET", `/v1/predictions/${r.body.id}`)).body.status).toBe("succeeded");
  }, 60_000);

  it("another modelhub on another data folder leaves this one's containers and work alone", async () => {
    const first = await s.api("POST", "/v1/predictions", { version: "faults/hello", input: { text: "a" } }, { Prefer: "wait" });
    expect(first.body.status).toBe("succeeded");
    const ours = containersOf(s.dataDir, true);
    expect(ours.length).toBeGreaterThan(0);
    {
      await using other = await startLiveServer();
      expect(other.dataDir).not.toBe(s.dataDir);
      // It has started, reconciled and adopted what it owns: nothing of ours.
      expect(containersOf(s.dataDir, true).sort()).toEqual(ours.sort());
    }
    // And after it stopped, ours still run and answer without a new boot.
    expect(containersOf(s.dataDir, true).sort()).toEqual(ours.sort());
    const again = await s.api("POST", "/v1/predictions", { version: "faults/hello", input: { text: "b" } }, { Prefer: "wait" });
    expect(again.body.output).toBe("hello b");
    expect(integrity(s.dataDir)).toBe("ok");
  }, 60_000);
});
