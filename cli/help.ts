// The command table: what `modelhub --help`, `modelhub COMMAND --help` and shell completion show.

export interface CommandHelp {
  /** "predict", "models rm" */
  name: string;
  usage: string;
  summary: string;
  /** flag → what it does */
  flags?: [string, string][];
  examples: string[];
}

const JSON_FLAG: [string, string] = ["--json", "print JSON instead of a table"];

export const COMMANDS: CommandHelp[] = [
  { name: "serve", usage: "modelhub serve [--port 5100] [--data-dir DIR] [--host 127.0.0.1] [--gpus all]", summary: "run the server (API + web UI) in the foreground",
    examples: ["modelhub serve", "modelhub serve --port 8080 --data-dir /srv/modelhub"] },
  { name: "predict", usage: "modelhub predict MODEL[:VERSION] -i name=value [-i name=@file ...]",
    summary: "run a prediction: text streams to stdout, logs to stderr, files are written to output.<ext>",
    flags: [
      ["-i, --input name=value", "an input (repeat for more; name=@path uploads a file; a repeated name makes a list)"],
      ["--output-dir DIR", "where output files go (default: the current folder)"],
      ["-o, --output PATH", "the output file's name instead of output.<ext> (a list: PATH.0.<ext>, ...)"],
      ["--force", "overwrite existing output files"],
      ["-q, --quiet", "do not show the model's logs"],
      ["--json", "print the whole prediction as JSON at the end"],
      ["--no-wait", "print the prediction id and leave (follow it with modelhub logs ID -f)"],
    ],
    examples: ["modelhub predict demo/hello -i text=world", "modelhub predict demo/image -i width=512 -i init_image=@photo.jpg --output-dir out", "modelhub predict demo/stream -i prompt=\"tell me a story\""] },
  { name: "predictions", usage: "modelhub predictions [--model MODEL] [--status STATUS] [--limit N] [--json]", summary: "list recent predictions, newest first",
    flags: [["--model owner/name", "only this model's"], ["--status S", "starting, processing, succeeded, failed or canceled"], ["--limit N", "at most N rows (default 50)"], JSON_FLAG],
    examples: ["modelhub predictions", "modelhub predictions --model demo/hello --status failed"] },
  { name: "logs", usage: "modelhub logs PREDICTION [-f]", summary: "print a prediction's logs (-f follows them until it ends)",
    flags: [["-f, --follow", "keep printing new lines until the prediction ends"]], examples: ["modelhub logs 7x2k...", "modelhub logs 7x2k... -f"] },
  { name: "cancel", usage: "modelhub cancel PREDICTION", summary: "cancel a queued or running prediction", examples: ["modelhub cancel 7x2k..."] },
  { name: "models", usage: "modelhub models [--json]", summary: "list the models in the catalog", flags: [JSON_FLAG], examples: ["modelhub models", "modelhub models --json"] },
  { name: "models add", usage: "modelhub models add IMAGE [--name owner/name]", summary: "import a local Cog image (built with cog build) as a model version",
    flags: [["--name owner/name", "the model to add it to (default: from the image name)"]], examples: ["modelhub models add r8.im/acme/hello --name acme/hello"] },
  { name: "models show", usage: "modelhub models show MODEL [--json]", summary: "a model's versions, inputs and outputs, run policy and hardware",
    flags: [JSON_FLAG], examples: ["modelhub models show demo/hello"] },
  { name: "models update", usage: "modelhub models update MODEL [--visibility public|private] [--predictions owner|public] [--description TEXT]", summary: "change a model's visibility or description (admin)",
    flags: [["--visibility V", "public (every token sees it) or private (admins only)"], ["--predictions P", "owner (each token sees only its own predictions) or public (anyone who sees the model sees them all)"], ["--description TEXT", "one line shown in lists (\"\" clears it)"]],
    examples: ["modelhub models update acme/hello --visibility private", "modelhub models update acme/hello --description \"says hello\""] },
  { name: "models rm", usage: "modelhub models rm MODEL[:VERSION] [--yes]", summary: "delete a model (or one version) from the catalog; the image stays in Docker",
    flags: [["-y, --yes", "do not ask for confirmation"]], examples: ["modelhub models rm acme/hello", "modelhub models rm acme/hello:3f9a... --yes"] },
  { name: "pull", usage: "modelhub pull IMAGE [--name owner/name]", summary: "pull a Cog image from a registry through Docker, with progress, and add it to the catalog",
    flags: [["--name owner/name", "the model to add it to (default: from the image name)"]], examples: ["modelhub pull r8.im/acme/hello:latest", "modelhub pull 127.0.0.1:5000/acme/hello --name acme/hello"] },
  { name: "export", usage: "modelhub export MODEL[:VERSION] -o bundle.tar", summary: "write a model version (image + description, visibility, policy) to one file",
    flags: [["-o, --output FILE", "the bundle to write (- for stdout)"], ["--force", "overwrite FILE"]], examples: ["modelhub export acme/hello -o hello.tar"] },
  { name: "import", usage: "modelhub import bundle.tar [--name owner/name]", summary: "load a bundle written by modelhub export (no registry needed)",
    flags: [["--name owner/name", "import under another name"]], examples: ["modelhub import hello.tar", "modelhub --url http://gpu-box:5100 import hello.tar"] },
  { name: "ps", usage: "modelhub ps [--json]", summary: "running instances: state, GPUs, uptime, idle, in flight, queued, boot time", flags: [JSON_FLAG], examples: ["modelhub ps"] },
  { name: "stop", usage: "modelhub stop MODEL | --all [--grace S]", summary: "stop instances; running work gets S seconds (default 30), queued work fails",
    flags: [["--all", "every model"], ["--grace S", "seconds running predictions get to finish"]], examples: ["modelhub stop demo/hello", "modelhub stop --all --grace 0"] },
  { name: "policy", usage: "modelhub policy MODEL [key=value ...] [--json]", summary: "show or set a model's run policy (gpus, pinned_gpus, idle_timeout, min_instances, max_instances, concurrency, max_queue, setup_timeout, memory, cpus, pids, node, node_labels)",
    flags: [JSON_FLAG], examples: ["modelhub policy demo/hello", "modelhub policy demo/hello idle_timeout=60 max_instances=2", "modelhub policy demo/hello memory=8g cpus=4 pids=512"] },
  { name: "retry", usage: "modelhub retry MODEL[:VERSION]", summary: "forget a remembered setup failure so the next prediction boots it again", examples: ["modelhub retry demo/hello"] },
  { name: "tokens create", usage: "modelhub tokens create --name NAME [--role user|admin] [--json]", summary: "make an API token (shown once) (admin)",
    flags: [["--name NAME", "who or what uses it"], ["--role R", "user (default) or admin"], JSON_FLAG], examples: ["modelhub tokens create --name laptop", "modelhub tokens create --name ci --role admin --json"] },
  { name: "tokens", usage: "modelhub tokens [list] [--json]", summary: "list API tokens (admin)", flags: [JSON_FLAG], examples: ["modelhub tokens"] },
  { name: "nodes", usage: "modelhub nodes [ls] [--json]", summary: "the machines models run on: state, GPUs, instances, last seen (admin)", flags: [JSON_FLAG], examples: ["modelhub nodes ls"] },
  { name: "nodes add", usage: "modelhub nodes add NAME --engine tcp://HOST:2376 --tls-ca FILE --tls-cert FILE --tls-key FILE [--label k=v]...",
    summary: "add another machine's Docker engine (dockerd --tlsverify) as a node models may run on (admin)",
    flags: [["--engine tcp://HOST:2376", "the node's Docker engine (mutual TLS)"], ["--tls-ca FILE", "CA certificate the engine's certificate is checked against"], ["--tls-cert FILE", "modelhub's client certificate"], ["--tls-key FILE", "modelhub's client key"], ["--label k=v", "a label placement can select (repeat for more)"], ["--fake-gpus N", "simulate N GPUs (tests; containers get no device request)"], JSON_FLAG],
    examples: ["modelhub nodes add gpu2 --engine tcp://gpu2.lan:2376 --tls-ca certs/ca.pem --tls-cert certs/cert.pem --tls-key certs/key.pem --label gpu=4090"] },
  { name: "nodes drain", usage: "modelhub nodes drain NAME [--undo]", summary: "send no new work to a node (what runs there finishes); --undo takes it back (admin)",
    flags: [["--undo", "the node takes new work again"]], examples: ["modelhub nodes drain gpu2", "modelhub nodes drain gpu2 --undo"] },
  { name: "nodes rm", usage: "modelhub nodes rm NAME [--force]", summary: "remove a node (refused while instances run there, unless --force stops them) (admin)",
    flags: [["--force", "stop what runs there (its predictions fail) and remove it"]], examples: ["modelhub nodes rm gpu2"] },
  { name: "nodes ca", usage: "modelhub nodes ca DIR --host HOST[,HOST] [--days N]", summary: "make a CA and the engine's and modelhub's certificates with openssl, and print the dockerd flags",
    flags: [["--host HOST", "the node's name or address as modelhub reaches it (comma-separated for more)"], ["--days N", "how long the certificates are valid (default 825)"]],
    examples: ["modelhub nodes ca ./gpu2-certs --host gpu2.lan,192.168.1.20"] },
  { name: "tokens revoke", usage: "modelhub tokens revoke ID|NAME", summary: "revoke an API token (admin)", examples: ["modelhub tokens revoke laptop"] },
  { name: "completion", usage: "modelhub completion bash|zsh", summary: "print a shell completion script",
    examples: ["source <(modelhub completion bash)        # in ~/.bashrc", "modelhub completion zsh > \"${fpath[1]}/_modelhub\""] },
];

export const COMMON_FLAGS: [string, string][] = [
  ["--url URL", "the server (MODELHUB_URL; default http://127.0.0.1:5100)"],
  ["--token TOKEN", "API token (MODELHUB_TOKEN; default: <data-dir>/admin-token for a server on this machine)"],
  ["--color [always|never|auto]", "colour (NO_COLOR=1 turns it off)"],
  ["-h, --help", "help for a command"],
];

export function findCommand(name: string): CommandHelp | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function commandHelp(c: CommandHelp): string {
  const rows = [...(c.flags ?? []), ...(c.name === "serve" ? [] : COMMON_FLAGS)];
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    `${c.summary}`,
    "",
    `Usage: ${c.usage}`,
    "",
    "Flags:",
    ...rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`),
    "",
    "Examples:",
    ...c.examples.map((e) => `  ${e}`),
    "",
  ].join("\n");
}

export function commandList(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join("\n");
}
