#!/usr/bin/env bun
// modelhub's command line: parses argv, dispatches to a command, prints errors once, sets exit codes.
import pkg from "../package.json" with { type: "json" };
import { ConfigError, knownFlags, loadConfig, settingsHelp } from "../server/config.ts";
import { parseArgs } from "./args.ts";
import { ApiError, Client } from "./client.ts";
import { addModel, listModels } from "./commands/models.ts";

const VERSION: string = pkg.version;

const COMMANDS = `Commands:
  serve                          run the server (API + web UI) in the foreground
  models                         list the models in the catalog
  models add IMAGE [--name o/n]  import a local Cog image (built with cog build) as a model version
  predict MODEL[:VERSION] -i name=value ...
                                 run a prediction and print its output (-i name=@file sends a file;
                                 inputs are typed and checked against the model's schema first)
  ps                             running instances: state, GPUs, uptime, idle, in flight, queued, boot time
  stop MODEL | --all [--grace S] stop instances; running work gets S seconds (default 30), queued work fails
  policy MODEL [key=value ...]   show or set a model's run policy (gpus, pinned_gpus, idle_timeout,
                                 min_instances, max_instances, concurrency, max_queue, setup_timeout)
  retry MODEL[:VERSION]          forget a remembered setup failure so the next prediction boots it again
  --version                      print the version
  --help                         this text`;

export function helpText(): string {
  return `modelhub ${VERSION}: run Cog models on your own machine, with a Replicate-compatible API.

Usage: modelhub <command> [flags]

${COMMANDS}

Settings (flag, environment variable, default; flags win over variables):
${settingsHelp()}
`;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, flags, inputs } = parseArgs(argv);
  if (flags.version !== undefined) {
    console.log(`modelhub ${VERSION}`);
    return 0;
  }
  const [cmd, sub, ...rest] = positionals;
  if (flags.help !== undefined || !cmd) {
    console.log(helpText());
    return cmd || flags.help !== undefined ? 0 : 2;
  }
  const known = knownFlags();
  const extra = new Set(["name", "json", "help", "version", "all", "grace"]);
  for (const f of Object.keys(flags)) if (!known.has(f) && !extra.has(f)) throw new ConfigError(`unknown flag --${f} (see modelhub --help)`);
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(flags)) if (known.has(k)) settings[k] = v;
  const config = loadConfig(process.env, settings);

  switch (cmd) {
    case "serve": {
      const { serve } = await import("./commands/serve.ts");
      await serve(config, VERSION);
      return -1; // keep running
    }
    case "ps": {
      const { ps } = await import("./commands/ps.ts");
      console.log(await ps(new Client(config.url, process.env.MODELHUB_TOKEN), flags.json !== undefined));
      return 0;
    }
    case "stop": {
      const { stop } = await import("./commands/stop.ts");
      if (!sub && flags.all === undefined) throw new ConfigError("usage: modelhub stop MODEL [--grace SECONDS] | modelhub stop --all");
      const grace = flags.grace === undefined ? undefined : Number(flags.grace);
      if (grace !== undefined && !(grace >= 0)) throw new ConfigError("--grace must be a number of seconds");
      console.log(await stop(new Client(config.url, process.env.MODELHUB_TOKEN), flags.all !== undefined ? { all: true } : { model: sub }, grace));
      return 0;
    }
    case "policy": {
      const { policy } = await import("./commands/policy.ts");
      if (!sub) throw new ConfigError("usage: modelhub policy MODEL [key=value ...]");
      console.log(await policy(new Client(config.url, process.env.MODELHUB_TOKEN), sub, rest, flags.json !== undefined));
      return 0;
    }
    case "retry": {
      const { retry } = await import("./commands/policy.ts");
      if (!sub) throw new ConfigError("usage: modelhub retry MODEL[:VERSION]");
      console.log(await retry(new Client(config.url, process.env.MODELHUB_TOKEN), sub));
      return 0;
    }
    case "predict": {
      const { predict } = await import("./commands/predict.ts");
      if (!sub) throw new ConfigError("usage: modelhub predict MODEL[:VERSION] -i name=value ...");
      const io = { out: (s: string) => console.log(s), err: (s: string) => console.error(s) };
      return predict(new Client(config.url, process.env.MODELHUB_TOKEN), sub, inputs, io);
    }
    case "models": {
      const client = new Client(config.url, process.env.MODELHUB_TOKEN);
      if (!sub || sub === "list" || sub === "ls") {
        console.log(await listModels(client, flags.json !== undefined));
        return 0;
      }
      if (sub === "add") {
        const image = rest[0];
        if (!image) throw new ConfigError("usage: modelhub models add IMAGE [--name owner/name]");
        console.log(await addModel(client, image, flags.name));
        return 0;
      }
      throw new ConfigError(`unknown subcommand "models ${sub}" (see modelhub --help)`);
    }
    default:
      throw new ConfigError(`unknown command "${cmd}" (see modelhub --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    const prefix = err instanceof ApiError && err.status ? `error (HTTP ${err.status})` : "error";
    process.stderr.write(`${prefix}: ${err.message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
