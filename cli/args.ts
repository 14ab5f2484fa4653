// Splits argv into positionals, --flag values (--flag value or --flag=value) and -i name=value inputs.

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string>;
  /** every `-i name=value` / `--input name=value`, in order (a name may repeat: a list) */
  inputs: string[];
}

/** Flags that take no value (`--json`); `--flag=value` still works for them. */
const BOOLEAN_FLAGS = new Set(["help", "version", "json", "all", "quiet", "force", "no-wait", "yes", "follow", "undo"]);
/** Flags that may repeat: their values are joined with newlines (`--label a=1 --label b=2`). */
const REPEATED_FLAGS = new Set(["label"]);
/** One-letter aliases. */
const SHORT: Record<string, string> = { "-h": "help", "-q": "quiet", "-f": "follow", "-y": "yes", "-o": "output", "-n": "name" };
const COLOR_VALUES = new Set(["always", "never", "auto"]);

export class ArgError extends Error {}

/** `isKnown`, when given, makes an unknown --flag an error here (before it could swallow the next word). */
export function parseArgs(argv: string[], isKnown?: (flag: string) => boolean): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string> = {};
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-i" || a === "--input") {
      if (i + 1 >= argv.length) throw new ArgError(`${a} needs name=value (e.g. -i prompt="a cat" or -i image=@photo.jpg)`);
      inputs.push(argv[++i]);
      continue;
    }
    const short = SHORT[a];
    const long = short ? `--${short}` : a;
    if (long.startsWith("--") && long.length > 2) {
      const eq = long.indexOf("=");
      const name = eq >= 0 ? long.slice(2, eq) : long.slice(2);
      if (isKnown && !isKnown(name) && name !== "no-color") throw new ArgError(`unknown flag --${name} (see modelhub ${positionals[0] ?? ""} --help)`.replace("  ", " "));
      if (eq >= 0) flags[name] = long.slice(eq + 1);
      else if (BOOLEAN_FLAGS.has(name)) flags[name] = "true";
      // --color alone means always; --color never / --color=never choose.
      else if (name === "color") flags.color = COLOR_VALUES.has(argv[i + 1] ?? "") ? argv[++i] : "always";
      else if (name === "no-color") flags.color = "never";
      else {
        if (i + 1 >= argv.length) throw new ArgError(`${a} needs a value`);
        const value = argv[++i];
        flags[name] = REPEATED_FLAGS.has(name) && flags[name] !== undefined ? `${flags[name]}\n${value}` : value;
      }
      continue;
    }
    positionals.push(a);
  }
  return { positionals, flags, inputs };
}
