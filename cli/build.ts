// `npm run build`: compiles modelhub, web UI included, into one executable at dist/modelhub.
//
// Two things keep the served process small (idle RSS, docs/benchmarks.md), and bytecode makes it start fast:
// - dockerode loads two things modelhub never uses at import time: ssh2 (for ssh:// engines, with its
//   native crypto addon) and gRPC/protobuf (BuildKit sessions). Together they cost ~10 MB of RSS in
//   every process. modelhub speaks to engines over unix sockets and http(s) only (dockerOptions in
//   server/runtime/docker.ts), so those two files are replaced by stubs that throw if ever called.
// - JavaScriptCore's tier-up thresholds start 8× higher (jitPolicy), so code that runs once while
//   starting stays in the interpreter instead of being compiled; `modelhub serve` puts the normal
//   policy back once it listens (cli/commands/serve.ts).
const root = new URL("..", import.meta.url).pathname;
const out = `${root}dist/modelhub`;
const t0 = performance.now();

const stub = (what: string) => `module.exports = function () { throw new Error("modelhub is built without ${what}"); };\n`;
const LEFT_OUT: Record<string, string> = {
  "node_modules/docker-modem/lib/ssh.js": stub("Docker over ssh:// (use a unix socket or tcp://)"),
  "node_modules/dockerode/lib/session.js": stub("BuildKit sessions"),
};
// A dependency upgrade that moves these files must fail the build, not silently keep the weight.
for (const path of Object.keys(LEFT_OUT))
  if (!(await Bun.file(`${root}${path}`).exists())) throw new Error(`cli/build.ts: ${path} is gone; check what dockerode loads at import time now`);

const result = await Bun.build({
  entrypoints: [`${root}cli/main.ts`],
  compile: { outfile: out, jitPolicy: 8 },
  // Bytecode compiled ahead of time: no parsing at start (about 1.7× faster to listen with 100 models
  // and 100,000 predictions, for ~2 MB more RSS; docs/benchmarks.md). ESM needs format "esm" with it.
  bytecode: true,
  format: "esm",
  minify: true,
  // What `bun build --production` sets: HTML imports serve the bundled assets, not a dev server with HMR.
  define: { "process.env.NODE_ENV": '"production"' },
  files: Object.fromEntries(Object.entries(LEFT_OUT).map(([path, text]) => [`${root}${path}`, text])),
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const size = (await Bun.file(out).stat()).size;
console.log(`built ${out} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
