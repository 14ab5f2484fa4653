// The top bar: brand, the main navigation (admins also get Tokens and Add a model; Instances is
// admin-only in the API, so users do not see it), server status, who is signed in, sign out and the
// theme switch. Up to 900 px wide the links fold into a Menu button, so nothing scrolls sideways.
import { useEffect, useState } from "preact/hooks";
import { needsSignIn, setToken, token } from "../lib/api.ts";
import { account, health, isAdmin } from "../lib/session.ts";
import { useStore } from "../lib/store.ts";
import { setTheme, theme, type ThemeChoice } from "../lib/theme.ts";

const NEXT_THEME: Record<ThemeChoice, ThemeChoice> = { system: "light", light: "dark", dark: "system" };
const THEME_ICON: Record<ThemeChoice, string> = { system: "◐", light: "☀", dark: "☾" };

function ServerStatus() {
  const h = useStore(health);
  const [cls, text] =
    h.state === "ok" ? ["ok", "Server up"] : h.state === "degraded" ? ["warn", "Docker unavailable"] : h.state === "offline" ? ["err", "Server offline"] : ["neutral", "Checking"];
  return (
    <span class={`server-status status-${cls}`} title={h.state === "degraded" ? h.detail : text} role="status">
      <span class="dot" aria-hidden="true" />
      <span class="server-status-text">{text}</span>
    </span>
  );
}

/** Forgets the token and shows the sign-in page (a full load, so no page keeps the old caller's data). */
export function signOut(): void {
  setToken(null);
  location.assign("/sign-in");
}

export function TopBar({ path }: { path: string }) {
  const a = useStore(account);
  const signIn = useStore(needsSignIn);
  const signedIn = !!useStore(token) && a?.auth === "on";
  const admin = isAdmin(a);
  const t = useStore(theme);
  const [open, setOpen] = useState(false);
  // A followed link closes the menu.
  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && (setOpen(false), document.getElementById("menu-button")?.focus());
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [open]);
  const links: [string, string][] = signIn
    ? []
    : [
        ["/", "Models"],
        ["/predictions", "Predictions"],
        ...(admin ? ([["/instances", "Instances"], ["/settings/tokens", "Tokens"], ["/models/new", "Add a model"]] as [string, string][]) : []),
      ];
  const current = (href: string) => (href === "/" ? path === "/" || (path.startsWith("/models/") && path !== "/models/new") : path.startsWith(href));
  const who = a && signedIn ? `${a.name} (${a.role})` : "";
  return (
    <header class={`topbar${open ? " open" : ""}`}>
      <div class="topbar-inner">
        <a href="/" class="brand">
          <span class="brand-mark" aria-hidden="true">◆</span> modelhub
        </a>
        {links.length > 0 && (
          <nav id="main-nav" aria-label="Main">
            {links.map(([href, label]) => (
              <a href={href} class="nav-link" aria-current={current(href) ? "page" : undefined}>
                {label}
              </a>
            ))}
            {signedIn && (
              <div class="nav-account">
                <span class="muted">Signed in as {who}</span>
                <button type="button" class="btn" onClick={signOut}>
                  Sign out
                </button>
              </div>
            )}
          </nav>
        )}
        <div class="topbar-end">
          <ServerStatus />
          {signedIn && (
            <span class="account-end">
              <span class="who muted" title={`Signed in as ${who}`}>
                {a!.name}
              </span>
              <button type="button" class="btn btn-ghost" onClick={signOut}>
                Sign out
              </button>
            </span>
          )}
          <button
            type="button"
            class="btn btn-ghost btn-icon"
            aria-label={`Theme: ${t}. Switch to ${NEXT_THEME[t]}`}
            title={`Theme: ${t}`}
            data-theme-toggle
            onClick={() => setTheme(NEXT_THEME[t])}
          >
            {THEME_ICON[t]}
          </button>
          {links.length > 0 && (
            <button type="button" id="menu-button" class="btn btn-ghost menu-button" aria-expanded={open} aria-controls="main-nav" onClick={() => setOpen(!open)}>
              <span aria-hidden="true">{open ? "✕" : "☰"}</span> Menu
            </button>
          )}
        </div>
      </div>
    </header>
  );
}
