// Client-side routes (server/http/ui.ts serves the page at each of them). The location is a store:
// links are intercepted, history is pushed, and views read path and query from here.
import { Store } from "./store.ts";

export type Route =
  | { page: "models" }
  | { page: "new-model" }
  | { page: "model"; owner: string; name: string; tab: string }
  | { page: "prediction"; id: string }
  | { page: "predictions" }
  | { page: "instances" }
  | { page: "tokens" }
  | { page: "sign-in" }
  | { page: "not-found" };

export interface Location {
  path: string;
  query: URLSearchParams;
}

const read = (): Location => ({ path: location.pathname, query: new URLSearchParams(location.search) });
export const here = new Store<Location>(read());

export const TABS = ["playground", "api", "runs", "versions", "readme", "settings"] as const;

export function match(path: string, query: URLSearchParams): Route {
  const seg = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [a, b, c] = seg;
  if (seg.length === 0) return { page: "models" };
  if (a === "models" && b === "new" && seg.length === 2) return { page: "new-model" };
  if (a === "models" && seg.length === 3) {
    const tab = query.get("tab") ?? "playground";
    return { page: "model", owner: b, name: c, tab: (TABS as readonly string[]).includes(tab) ? tab : "playground" };
  }
  if (a === "p" && seg.length === 2) return { page: "prediction", id: b };
  if (seg.length === 1 && a === "predictions") return { page: "predictions" };
  if (seg.length === 1 && a === "instances") return { page: "instances" };
  if (seg.length === 2 && a === "settings" && b === "tokens") return { page: "tokens" };
  if (seg.length === 1 && a === "sign-in") return { page: "sign-in" };
  return { page: "not-found" };
}

export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  const u = new URL(url, location.href);
  const same = u.pathname === location.pathname;
  history[opts.replace ? "replaceState" : "pushState"](null, "", u.pathname + u.search + u.hash);
  here.set(read());
  if (!same && !opts.replace) window.scrollTo(0, 0);
}

/** Changes query parameters of the current page without a new history entry. */
export function setQuery(changes: Record<string, string | null>, opts: { push?: boolean } = {}): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) v === null ? q.delete(k) : q.set(k, v);
  const s = q.toString();
  navigate(location.pathname + (s ? `?${s}` : ""), { replace: !opts.push });
}

export function startRouter(): void {
  addEventListener("popstate", () => here.set(read()));
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element).closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin || /^\/(v1|files|health)\//.test(u.pathname)) return;
    e.preventDefault();
    navigate(u.pathname + u.search + u.hash);
  });
}
