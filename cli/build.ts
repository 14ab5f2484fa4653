// `npm run build`: compiles modelhub, web UI included, into one executable at dist/modelhub.
import { $ } from "bun";

const root = new URL("..", import.meta.url).pathname;
const out = `${root}dist/modelhub`;
const t0 = performance.now();
// --production makes HTML imports serve the bundled assets instead of a dev server with HMR.
await $`${process.execPath} build --compile --production --minify ${root}cli/main.ts --outfile ${out}`.cwd(root);
const size = (await Bun.file(out).stat()).size;
console.log(`built ${out} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
