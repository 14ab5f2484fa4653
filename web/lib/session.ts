// Who is using the UI (GET /v1/account: role and whether the server requires tokens) and whether
// the server and its Docker engine are up (GET /health). Both are stores the shell renders.
import { api, HttpError, needsSignIn } from "./api.ts";
import { Store } from "./store.ts";

export interface AccountJson {
  type: string;
  username: string;
  name: string;
  /** modelhub extensions; a server without tokens has neither, and everyone may do everything. */
  role?: "admin" | "user";
  auth?: "on" | "off";
}

export type Health = { state: "checking" } | { state: "ok"; version: string } | { state: "degraded"; detail: string } | { state: "offline" };

export const account = new Store<AccountJson | null>(null);
export const health = new Store<Health>({ state: "checking" });

export const isAdmin = (a: AccountJson | null) => !!a && (a.role === undefined || a.role === "admin");

export async function loadAccount(attempt = 0): Promise<void> {
  try {
    account.set(await api<AccountJson>("GET", "/v1/account"));
    needsSignIn.set(false);
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) return; // the sign-in page takes it from here
    account.set(null);
    // A busy or restarting server must not leave the page looking signed out for good: try again
    // after 1, 2, 4, 8 s.
    if (attempt < 4) setTimeout(() => void loadAccount(attempt + 1), 1000 * 2 ** attempt);
  }
}

export async function checkHealth(): Promise<void> {
  try {
    const res = await fetch("/health");
    const body = await res.json();
    health.set(res.ok ? { state: "ok", version: body.version } : { state: "degraded", detail: body.docker?.error ?? "Docker is not reachable" });
  } catch {
    health.set({ state: "offline" });
  }
}

export function startSession(): void {
  void loadAccount();
  void checkHealth();
  setInterval(() => void checkHealth(), 30_000);
}

/** Status transitions for screen readers (the shell's polite live region); timer ticks never go here. */
export const announcement = new Store("");
