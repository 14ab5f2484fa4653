// `npm run build` (cli/build.ts) leaves out what dockerode loads at import time but modelhub never
// uses, ssh2 with its native crypto addon and gRPC/protobuf (~10 MB of RSS in every process,
// docs/benchmarks.md), and the binary it makes still runs.
import { describe, expect, it } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const BIN = join(ROOT, "dist/modelhub");

describe("the compiled binary", () => {
  it("embeds neither ssh2 nor gRPC, and starts", async () => {
    const build = Bun.spawnSync([process.execPath, "run", join(ROOT, "cli/build.ts")], { stderr: "pipe" });
    expect(build.exitCode).toBe(0);
    const bytes = await Bun.file(BIN).bytes();
    const has = (s: string) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(s);
    // ssh2's native addon and the gRPC packages' names are in every bundle that includes them.
    expect({ sshcrypto: has("sshcrypto"), grpc: has("grpc-js"), protoLoader: has("proto-loader") }).toEqual({ sshcrypto: false, grpc: false, protoLoader: false });
    expect(has("modelhub is built without")).toBe(true); // the stubs stand in their place
    const version = Bun.spawnSync([BIN, "--version"]);
    expect(version.exitCode).toBe(0);
    expect(version.stdout.toString()).toMatch(/^modelhub \d+\.\d+\.\d+/);
  }, 60_000);
});
