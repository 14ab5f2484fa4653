// `modelhub serve`: the only CLI file that imports the server. Runs until SIGINT/SIGTERM.
import type { Config } from "../../server/config.ts";
import { startServer } from "../../server/server.ts";

export async function serve(config: Readonly<Config>, version: string): Promise<void> {
  const server = await startServer(config, { version, ownsProcess: true });
  process.stderr.write(`modelhub ${version} serving on ${server.url} (data in ${config.dataDir})\n`);
  // The compiled binary starts with the JIT held back (cli/build.ts) so start-up code is not compiled;
  // from here on, hot request paths are.
  Bun.unsafe.setJITPolicy?.(1);
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) process.exit(130); // a second Ctrl-C means "now"
    process.stderr.write(`\n${sig}: stopping containers and closing the database...\n`);
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
}
