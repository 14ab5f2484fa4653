// `modelhub completion bash|zsh`: completion scripts for commands, subcommands, flags and model names
// (asked from the server with the hidden `modelhub __complete models`, silent when none answers).
import { SETTINGS } from "../../server/config.ts";
import type { Client } from "../client.ts";
import { COMMANDS, COMMON_FLAGS } from "../help.ts";

/** Flag names per command ("models rm" → ["--yes", ...]), common ones included. */
function flagWords(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const common = COMMON_FLAGS.flatMap(([f]) => f.split(/[ ,]+/).filter((w) => w.startsWith("--")));
  for (const c of COMMANDS) out[c.name] = [...new Set([...(c.flags ?? []).flatMap(([f]) => f.split(/[ ,]+/).filter((w) => w.startsWith("--"))), ...common])];
  out.serve = [...SETTINGS.filter((s) => s.scope !== "client").map((s) => s.flag), "--help"];
  return out;
}

const TOP = [...new Set(COMMANDS.map((c) => c.name.split(" ")[0]))];
const SUBS: Record<string, string[]> = { models: ["add", "show", "update", "rm"], tokens: ["create", "list", "revoke"], completion: ["bash", "zsh"] };
/** Commands whose first argument is a model name. */
const TAKES_MODEL = ["predict", "policy", "retry", "stop", "export", "models show", "models update", "models rm"];

export function completion(shell: "bash" | "zsh"): string {
  const flags = flagWords();
  const cases = Object.entries(flags)
    .map(([name, f]) => `    "${name}") flags="${f.join(" ")}" ;;`)
    .join("\n");
  const body = `# modelhub ${shell} completion: commands, flags and model names
_modelhub() {
  local cur words_before cmd sub flags
  ${shell === "zsh" ? 'cur="${words[CURRENT]}"; words_before=("${(@)words[2,CURRENT-1]}")' : 'cur="${COMP_WORDS[COMP_CWORD]}"; words_before=("${COMP_WORDS[@]:1:COMP_CWORD-1}")'}
  cmd="\${words_before[${shell === "zsh" ? "1" : "0"}]}"; sub="\${words_before[${shell === "zsh" ? "2" : "1"}]}"
  local key="$cmd"
  case "$cmd" in models|tokens) [ -n "$sub" ] && key="$cmd $sub" ;; esac
  case "$key" in
${cases}
    *) flags="" ;;
  esac
  local candidates=""
  if [ -z "$cmd" ] || { [ \${#words_before[@]} -eq 0 ]; }; then
    candidates="${TOP.join(" ")} --help --version"
  elif [[ "$cur" == -* ]]; then
    candidates="$flags"
  elif [ \${#words_before[@]} -eq 1 ] && [ -n "$(_modelhub_subs "$cmd")" ]; then
    candidates="$(_modelhub_subs "$cmd")"
  else
    case " ${TAKES_MODEL.map((c) => c.replace(" ", "_")).join(" ")} " in
      *" \${key// /_} "*) candidates="$(modelhub __complete models 2>/dev/null)" ;;
    esac
  fi
  ${shell === "zsh" ? 'compadd -- ${=candidates}' : 'COMPREPLY=($(compgen -W "$candidates" -- "$cur"))'}
}
_modelhub_subs() {
  case "$1" in
${Object.entries(SUBS).map(([k, v]) => `    ${k}) echo "${v.join(" ")}" ;;`).join("\n")}
  esac
}
`;
  return shell === "zsh" ? `#compdef modelhub\n${body}compdef _modelhub modelhub\n` : `${body}complete -o default -F _modelhub modelhub\n`;
}

/** Model names for completion, one per line; nothing when the server does not answer. */
export async function completeModels(client: Client): Promise<string> {
  try {
    const rows = await client.all<{ owner: string; name: string }>("/v1/models", 1000);
    return rows.map((m) => `${m.owner}/${m.name}`).join("\n");
  } catch {
    return "";
  }
}
