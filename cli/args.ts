// Splits argv into positionals, --flag values (--flag value or --flag=value) and -i name=value inputs.

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string>;
  /** every `-i name=value` / `--input name=value`, in order (a name may repeat: a list) */
  inputs: string[];
}

const BOOLEAN_FLAGS = new Set(["help", "version", "json", "all"]);

export function parseArgs(argv: string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string> = {};
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-h") {
      flags.help = "true";
      continue;
    }
    if (a === "-i" || a === "--input") {
      if (i + 1 >= argv.length) throw new Error(`${a} needs name=value`);
      inputs.push(argv[++i]);
      continue;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (eq >= 0) flags[name] = a.slice(eq + 1);
      else if (BOOLEAN_FLAGS.has(name)) flags[name] = "true";
      else {
        if (i + 1 >= argv.length) throw new Error(`--${name} needs a value`);
        flags[name] = argv[++i];
      }
      continue;
    }
    positionals.push(a);
  }
  return { positionals, flags, inputs };
}
