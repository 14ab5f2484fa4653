// The whole tree typechecks under tsconfig.json (strict): a type error fails the suite, not just an editor.
import { expect, it } from "bun:test";
import { join } from "node:path";

it("tsc --noEmit reports no errors", async () => {
  const root = join(import.meta.dir, "..");
  const p = Bun.spawn([join(root, "node_modules/.bin/tsc"), "--noEmit", "-p", root], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  expect(out + err).toBe("");
  expect(code).toBe(0);
}, 120_000);
