// Proves that what modelhub measures per version (boots, boot time, predictions, predict time) is
// reported by /v1/instances and survives a restart of modelhub on the same data folder.
import { afterAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";

describe.skipIf(!dockerTests)("per-version measurements", () => {
  let dataDir = "";
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("are measured, listed, and kept across a restart", async () => {
    let first: LiveServer | undefined = await startLiveServer();
    dataDir = first.dataDir;
    let versionId = "";
    try {
      versionId = await first.addModel("modelhub-test/hello:latest", "stats/hello");
      for (const text of ["a", "b", "c"]) {
        const r = await first.api("POST", "/v1/predictions", { version: versionId, input: { text } }, { prefer: "wait" });
        expect(r.body.status).toBe("succeeded");
      }
      const v = (await first.api("GET", "/v1/instances")).body.versions.find((x: { version: string }) => x.version === versionId);
      expect(v).toMatchObject({ model: "stats/hello", boots: 1, predictions: 3 });
      expect(v.avg_boot_ms).toBeGreaterThan(0);
      expect(v.avg_predict_ms).toBeGreaterThanOrEqual(0);
    } finally {
      await first.stop();
      first = undefined;
    }
    await using second = await startLiveServer({}, { keepDataDir: dataDir });
    const kept = (await second.api("GET", "/v1/instances")).body.versions.find((x: { version: string }) => x.version === versionId);
    expect(kept).toMatchObject({ model: "stats/hello", boots: 1, predictions: 3 });
  });
});
