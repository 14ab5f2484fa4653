// The web UI pages. Bun bundles the HTML import (and `bun build --compile` embeds it in the binary);
// they are served by Bun.serve's native routes in server.ts, ahead of the Elysia app, because an
// HTML bundle only becomes a page (with its hashed script and style assets) that way. The one page
// routes on the client: the model list, a model's page (a model's `url`), a prediction (`urls.web`).
import index from "../../web/index.html";
import type { MountedRoute } from "./route-table.ts";

export const uiPages = { "/": index, "/models/:owner/:name": index, "/p/:id": index };

/** The same pages as routes, so the OpenAPI document and the 405 check know them. */
export const uiRoutes: MountedRoute[] = Object.keys(uiPages).map((path) => ({ method: "GET", path }));
