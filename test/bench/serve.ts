// Runs a modelhub (temp data folder, real engine) in its own process for the benchmark, so the load
// generator does not share modelhub's event loop. Prints {"url": ...} on stdout; stops on stdin EOF.
import { startLiveServer } from "../helpers/live-server.ts";

const flags = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
const s = await startLiveServer({ "idle-timeout": "600", ...flags });
process.stdout.write(JSON.stringify({ url: s.url }) + "\n");
for await (const _ of Bun.stdin.stream()) {
  // wait for EOF
}
await s[Symbol.asyncDispose]();
process.exit(0);
