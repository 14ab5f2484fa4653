// The callback listener takes the port it had last time when free (surviving containers post there), another one when not.
import { describe, expect, it } from "bun:test";
import type { FileService } from "../../server/files/service.ts";
import { type InternalDeps, startCallbackListener } from "../../server/http/internal.ts";
import { silentLogger } from "../../server/log.ts";
import type { PredictionService } from "../../server/predictions/service.ts";

const deps = { predictions: {} as PredictionService, files: { maxBytes: 1024 } as FileService, logger: silentLogger, maxWebhookBytes: 1024 } as InternalDeps;

describe("callback listener port", () => {
  it("reuses the previous port when it is free", async () => {
    const first = startCallbackListener(deps, "127.0.0.1");
    const port = first.port;
    await first.stop();
    const again = startCallbackListener(deps, "127.0.0.1", port);
    expect(again.port).toBe(port);
    await again.stop();
  });

  it("falls back to another port when the previous one is taken", async () => {
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("x") });
    const l = startCallbackListener(deps, "127.0.0.1", taken.port!);
    expect(l.port).toBeGreaterThan(0);
    expect(l.port).not.toBe(taken.port);
    await l.stop();
    taken.stop(true);
  });
});
