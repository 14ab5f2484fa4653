// Serves the web UI. The HTML import is bundled by Bun, so `bun build --compile` embeds it in the binary.
import { Elysia } from "elysia";
import index from "../../web/index.html";

export function uiRoutes() {
  return new Elysia({ name: "ui" }).get("/", index as unknown as Response);
}
