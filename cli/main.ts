#!/usr/bin/env bun
// modelhub's command line: parses argv, dispatches to a command, prints errors once (with what to do
// next), sets exit codes: 0 done, 1 failed (or a prediction failed or was canceled), 2 usage.
import pkg from "../package.json" with { type: "json" };
import { ConfigError, knownFlags, loadConfig, settingsHelp } from "../server/config.ts";
import { ArgError, parseArgs } from "./args.ts";
import { ApiError } from "./client.ts";
import { type Context, makeContext } from "./context.ts";
import { commandHelp, commandList, findCommand } from "./help.ts";
import { UsageError } from "./usage.ts";

const VERSION: string = pkg.version;

export function helpText(): string {
  return `modelhub ${VERSION}: run Cog models on your own machine, with a Replicate-compatible API.

Usage: modelhub <command> [flags]      (modelhub <command> --help for its flags and examples)

Commands:
${commandList()}

Settings (flag, environment variable, default; flags win over variables):
${settingsHelp()}
  --color [always|never|auto]  NO_COLOR  colour on a terminal unless NO_COLOR is set
`;
}

/** CLI-only flags (the settings registry holds the rest). */
const CLI_FLAGS = new Set([
  "name", "json", "help", "version", "all", "grace", "quiet", "force", "no-wait", "output-dir", "yes", "follow", "model", "status",
  "limit", "visibility", "predictions", "description", "role", "output", "color",
  "engine", "tls-ca", "tls-cert", "tls-key", "label", "fake-gpus", "undo", "days", "host",
]);

const line = (s: string) => process.stdout.write(s.endsWith("\n") ? s : s + "\n");

/** Extra positionals are a mistake to report, never to drop silently. */
function noExtra(rest: string[], usage: string) {
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"\nusage: ${usage}`);
}

async function main(argv: string[]): Promise<number> {
  const known = knownFlags();
  const { positionals, flags, inputs } = parseArgs(argv, (f) => known.has(f) || CLI_FLAGS.has(f));
  if (flags.version !== undefined) {
    line(`modelhub ${VERSION}`);
    return 0;
  }
  const [cmd, sub, ...rest] = positionals;
  // The relay container on a node runs the modelhub binary itself: settings come from its environment.
  if (cmd === "relay" && positionals.length === 1 && Object.keys(flags).length === 0) {
    const { relay } = await import("./commands/relay.ts");
    return relay();
  }
  if (cmd === "help" || !cmd) {
    const c = sub && (findCommand(`${sub} ${rest[0] ?? ""}`.trim()) ?? findCommand(sub));
    line(c ? commandHelp(c) : helpText());
    return cmd ? 0 : flags.help !== undefined ? 0 : 2;
  }
  if (flags.help !== undefined) {
    const c = findCommand(`${cmd} ${sub ?? ""}`.trim()) ?? findCommand(cmd);
    if (!c) throw new UsageError(`unknown command "${cmd}" (see modelhub --help)`);
    line(commandHelp(c));
    return 0;
  }
  for (const f of Object.keys(flags)) if (!known.has(f) && !CLI_FLAGS.has(f)) throw new UsageError(`unknown flag --${f} (see modelhub ${cmd} --help)`);
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(flags)) if (known.has(k)) settings[k] = v;
  const config = loadConfig(process.env, settings);
  if (cmd !== "predict" && inputs.length) throw new UsageError(`-i is for modelhub predict`);
  const ctx = makeContext(config, flags, process.env);
  const json = flags.json !== undefined;

  switch (cmd) {
    case "serve": {
      const { serve } = await import("./commands/serve.ts");
      await serve(config, VERSION);
      return -1; // keep running
    }
    case "predict":
      return runPredict(ctx, sub, rest, inputs);
    case "predictions": {
      const { listPredictions } = await import("./commands/predictions.ts");
      noExtra([sub, ...rest].filter(Boolean), "modelhub predictions [--model M] [--status S] [--json]");
      line(await listPredictions(ctx, { model: flags.model, status: flags.status, limit: flags.limit, json }));
      return 0;
    }
    case "logs": {
      const { logs } = await import("./commands/predictions.ts");
      if (!sub) throw new UsageError("usage: modelhub logs PREDICTION [-f]");
      noExtra(rest, "modelhub logs PREDICTION [-f]");
      return logs(ctx, sub, flags.follow !== undefined);
    }
    case "cancel": {
      const { cancel } = await import("./commands/predictions.ts");
      if (!sub) throw new UsageError("usage: modelhub cancel PREDICTION");
      noExtra(rest, "modelhub cancel PREDICTION");
      line(await cancel(ctx, sub));
      return 0;
    }
    case "ps": {
      const { ps } = await import("./commands/ps.ts");
      line(await ps(ctx.client, json));
      return 0;
    }
    case "stop": {
      const { stop } = await import("./commands/stop.ts");
      if (!sub && flags.all === undefined) throw new UsageError("usage: modelhub stop MODEL [--grace SECONDS] | modelhub stop --all");
      const grace = flags.grace === undefined ? undefined : Number(flags.grace);
      if (grace !== undefined && !(grace >= 0)) throw new UsageError("--grace must be a number of seconds");
      line(await stop(ctx.client, flags.all !== undefined ? { all: true } : { model: sub }, grace));
      return 0;
    }
    case "policy": {
      const { policy } = await import("./commands/policy.ts");
      if (!sub) throw new UsageError("usage: modelhub policy MODEL [key=value ...]");
      line(await policy(ctx.client, sub, rest, json));
      return 0;
    }
    case "retry": {
      const { retry } = await import("./commands/policy.ts");
      if (!sub) throw new UsageError("usage: modelhub retry MODEL[:VERSION]");
      line(await retry(ctx.client, sub));
      return 0;
    }
    case "models": {
      const m = await import("./commands/models.ts");
      if (!sub || sub === "list" || sub === "ls") {
        line(await m.listModels(ctx.client, json));
        return 0;
      }
      if (sub === "add") {
        if (!rest[0]) throw new UsageError("usage: modelhub models add IMAGE [--name owner/name]");
        noExtra(rest.slice(1), "modelhub models add IMAGE [--name owner/name]");
        line(await m.addModel(ctx.client, rest[0], flags.name));
        return 0;
      }
      if (sub === "show") {
        noExtra(rest.slice(1), "modelhub models show MODEL");
        line(await m.showModel(ctx, rest[0], json));
        return 0;
      }
      if (sub === "update") {
        noExtra(rest.slice(1), "modelhub models update MODEL [--visibility public|private] [--predictions owner|public] [--description TEXT]");
        line(await m.updateModel(ctx, rest[0], { visibility: flags.visibility, predictions: flags.predictions, description: flags.description }, json));
        return 0;
      }
      if (sub === "rm" || sub === "remove" || sub === "delete") {
        noExtra(rest.slice(1), "modelhub models rm MODEL[:VERSION] [--yes]");
        line(await m.removeModel(ctx, rest[0], flags.yes !== undefined));
        return 0;
      }
      throw new UsageError(`unknown subcommand "models ${sub}" (try: models, models add, models show, models update, models rm)`);
    }
    case "tokens": {
      const t = await import("./commands/tokens.ts");
      if (!sub || sub === "list" || sub === "ls") line(await t.listTokens(ctx, json));
      else if (sub === "create") {
        noExtra(rest, "modelhub tokens create --name NAME [--role user|admin]");
        line(await t.createToken(ctx, flags.name, flags.role, json));
      } else if (sub === "revoke" || sub === "rm" || sub === "delete") {
        if (!rest[0]) throw new UsageError("usage: modelhub tokens revoke ID|NAME");
        line(await t.revokeToken(ctx, rest[0]));
      } else throw new UsageError(`unknown subcommand "tokens ${sub}" (try: tokens, tokens create, tokens revoke)`);
      return 0;
    }
    case "nodes": {
      const n = await import("./commands/nodes.ts");
      if (!sub || sub === "ls" || sub === "list") {
        noExtra(rest, "modelhub nodes ls [--json]");
        line(await n.listNodes(ctx, json));
      } else if (sub === "add") {
        noExtra(rest.slice(1), "modelhub nodes add NAME --engine tcp://HOST:2376 --tls-ca F --tls-cert F --tls-key F [--label k=v]");
        line(await n.addNode(ctx, rest[0], flags, json));
      } else if (sub === "drain") {
        noExtra(rest.slice(1), "modelhub nodes drain NAME [--undo]");
        line(await n.drainNode(ctx, rest[0], flags.undo !== undefined));
      } else if (sub === "rm" || sub === "remove") {
        noExtra(rest.slice(1), "modelhub nodes rm NAME [--force]");
        line(await n.removeNode(ctx, rest[0], flags.force !== undefined));
      } else if (sub === "ca") {
        noExtra(rest.slice(1), "modelhub nodes ca DIR --host HOST[,HOST]");
        if (flags.days !== undefined && !/^\d+$/.test(flags.days)) throw new UsageError("--days takes a whole number of days");
        line(await n.makeCa(rest[0], flags.host, flags.days ? Number(flags.days) : undefined));
      } else throw new UsageError(`unknown subcommand "nodes ${sub}" (try: nodes ls, nodes add, nodes drain, nodes rm, nodes ca)`);
      return 0;
    }
    case "pull": {
      const { pull } = await import("./commands/pull.ts");
      if (!sub) throw new UsageError("usage: modelhub pull IMAGE [--name owner/name]");
      noExtra(rest, "modelhub pull IMAGE [--name owner/name]");
      return pull(ctx, sub, flags.name);
    }
    case "export": {
      const { exportBundle } = await import("./commands/bundle.ts");
      noExtra(rest, "modelhub export MODEL[:VERSION] -o bundle.tar");
      return exportBundle(ctx, sub, flags.output, flags.force !== undefined);
    }
    case "import": {
      const { importBundle } = await import("./commands/bundle.ts");
      if (!sub) throw new UsageError("usage: modelhub import bundle.tar [--name owner/name]");
      noExtra(rest, "modelhub import bundle.tar [--name owner/name]");
      return importBundle(ctx, sub, flags.name);
    }
    case "completion": {
      const { completion } = await import("./commands/completion.ts");
      if (sub !== "bash" && sub !== "zsh") throw new UsageError("usage: modelhub completion bash|zsh");
      line(completion(sub));
      return 0;
    }
    case "__complete": {
      // Used by the completion scripts: model names, one per line, quietly nothing when no server answers.
      const { completeModels } = await import("./commands/completion.ts");
      line(await completeModels(ctx.client));
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${cmd}" (see modelhub --help)`);
  }
}

async function runPredict(ctx: Context, ref: string | undefined, rest: string[], inputs: string[]): Promise<number> {
  const { predict, PREDICT_USAGE } = await import("./commands/predict.ts");
  if (!ref) throw new UsageError(`usage: ${PREDICT_USAGE}`);
  const pair = rest.find((a) => a.includes("="));
  if (pair) throw new UsageError(`"${pair}" is not an input: inputs take -i, as in\n  modelhub predict ${ref} ${rest.map((a) => (a.includes("=") ? `-i ${a}` : a)).join(" ")}`);
  noExtra(rest, PREDICT_USAGE);
  const f = ctx.flags;
  let interrupts = 0;
  return predict(
    ctx.client,
    ref,
    inputs,
    { outputDir: f["output-dir"] ?? ".", outputPath: f.output, force: f.force !== undefined, quiet: f.quiet !== undefined, json: f.json !== undefined, noWait: f["no-wait"] !== undefined },
    {
      out: (s) => {
        try {
          process.stdout.write(s);
        } catch (err) {
          // The reader went away (`| head`): nothing more to show.
          if ((err as { code?: string }).code === "EPIPE") process.exit(0);
          throw err;
        }
      },
      err: (s) => process.stderr.write(s + "\n"),
      onInterrupt(handler) {
        let pending: Promise<void> = Promise.resolve();
        const on = () => {
          if (++interrupts > 1) {
            process.stderr.write("Leaving without waiting (the server goes on canceling it).\n");
            // The cancel request must have left: give it a moment (the server answers it only once
            // the model stopped, which may take its grace period; it goes on without us).
            void Promise.race([pending, Bun.sleep(1000)]).then(() => process.exit(130));
            return;
          }
          pending = handler();
        };
        process.on("SIGINT", on);
        return () => process.off("SIGINT", on);
      },
    },
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    const usage = err instanceof ConfigError || err instanceof ArgError;
    const prefix = err instanceof ApiError && err.status ? `error (HTTP ${err.status})` : "error";
    process.stderr.write(`${prefix}: ${err.message}\n`);
    process.exit(usage ? 2 : 1);
  },
);
