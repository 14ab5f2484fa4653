// Proves the Docker adapter against the real engine: typed errors for a missing engine and image,
// Cog labels read from a real image, containers published on 127.0.0.1 only with shm size and
// labels, GPU device requests as Docker receives them, logs, exit codes and the event stream.
import { afterAll, describe, expect, it } from "bun:test";
import { DockerRuntime } from "../../server/runtime/docker.ts";
import {
  DockerUnavailableError,
  ImageNotFoundError,
  MANAGED_LABEL,
  type ContainerEvent,
} from "../../server/runtime/runtime.ts";
import { checkHealth } from "../../server/cog/python-server.ts";

const docker = process.env.MODELHUB_TEST_DOCKER === "1";
const rt = new DockerRuntime("unix:///var/run/docker.sock");
const created: string[] = [];
const spec = (extra: Partial<Parameters<DockerRuntime["create"]>[0]> = {}) => ({
  image: "modelhub-test/hello:latest",
  env: ["COG_LOG_LEVEL=warning"],
  labels: { "dev.modelhub.test": "docker-runtime" },
  gpus: { kind: "none" as const },
  shmSizeBytes: 256 * 1024 * 1024,
  extraHosts: ["host.docker.internal:host-gateway"],
  ...extra,
});

async function inspectRaw(id: string) {
  const p = Bun.spawnSync(["docker", "inspect", id]);
  return JSON.parse(p.stdout.toString())[0];
}

describe.skipIf(!docker)("DockerRuntime against the real engine", () => {
  afterAll(async () => {
    for (const id of created) await rt.remove(id);
  });

  it("names the socket and the fix when the engine cannot be reached", async () => {
    const down = new DockerRuntime("unix:///tmp/modelhub-no-such-docker.sock");
    const err = await down.ping().catch((e) => e);
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect(err.message).toContain("unix:///tmp/modelhub-no-such-docker.sock");
    expect(err.message).toContain("Start it");
  });

  it("reads a Cog image's digest and labels", async () => {
    const info = await rt.inspectImage("modelhub-test/hello:latest");
    expect(info.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(info.labels["run.cog.openapi_schema"]).components.schemas.Input.properties.text).toBeDefined();
    expect(JSON.parse(info.labels["run.cog.config"]).build.gpu).toBe(false);
    expect(info.labels["run.cog.version"]).toBeTruthy();
  });

  it("maps a missing image to ImageNotFoundError", async () => {
    expect(await rt.inspectImage("modelhub-test/does-not-exist:nope").catch((e) => e)).toBeInstanceOf(ImageNotFoundError);
  });

  it("creates GPU containers with the nvidia device request Docker expects", async () => {
    const all = await rt.create(spec({ gpus: { kind: "all" } }));
    const some = await rt.create(spec({ gpus: { kind: "devices", ids: ["1", "3"] } }));
    created.push(all, some);
    expect((await inspectRaw(all)).HostConfig.DeviceRequests).toEqual([
      { Driver: "nvidia", Count: -1, DeviceIDs: null, Capabilities: [["gpu"]], Options: null },
    ]);
    expect((await inspectRaw(some)).HostConfig.DeviceRequests).toEqual([
      { Driver: "nvidia", Count: 0, DeviceIDs: ["1", "3"], Capabilities: [["gpu"]], Options: null },
    ]);
  });

  it("runs a container on 127.0.0.1 only, with shm size and modelhub's labels, and it answers READY", async () => {
    const events: ContainerEvent[] = [];
    const stopEvents = await rt.events((e) => events.push(e));
    const id = await rt.create(spec());
    created.push(id);
    const state = await rt.start(id);
    expect(state.running).toBe(true);
    expect(state.labels[MANAGED_LABEL]).toBe("true");
    const raw = await inspectRaw(id);
    expect(raw.HostConfig.ShmSize).toBe(256 * 1024 * 1024);
    expect(raw.NetworkSettings.Ports["5000/tcp"].every((b: { HostIp: string }) => b.HostIp === "127.0.0.1")).toBe(true);
    expect(raw.HostConfig.ExtraHosts).toContain("host.docker.internal:host-gateway");

    let health = await checkHealth(`http://127.0.0.1:${state.hostPort}`);
    for (let i = 0; i < 100 && health.status !== "READY"; i++) {
      await Bun.sleep(50);
      health = await checkHealth(`http://127.0.0.1:${state.hostPort}`);
    }
    expect(health.status).toBe("READY");
    expect(await rt.logs(id)).toContain("listening");

    const exited = rt.wait(id);
    Bun.spawnSync(["docker", "kill", id]);
    expect((await exited).exitCode).toBe(137);
    for (let i = 0; i < 50 && !events.some((e) => e.containerId === id && e.action === "die"); i++) await Bun.sleep(50);
    stopEvents();
    const die = events.find((e) => e.containerId === id && e.action === "die");
    expect(die?.exitCode).toBe(137);
    expect((await rt.inspect(id)).running).toBe(false);
  });

  it("removes a container that cannot start instead of leaving it behind", async () => {
    const id = await rt.create(spec({ gpus: { kind: "all" } }));
    const err = await rt.start(id).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/GPU|device driver/i);
    expect(Bun.spawnSync(["docker", "inspect", id]).exitCode).not.toBe(0);
  });
});
