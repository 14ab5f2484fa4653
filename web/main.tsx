// Entry of the web UI: the shell (navigation, server status, theme) and the client-side routes.
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { needsSignIn, setToken, token } from "./lib/api.ts";
import { here, match, startRouter } from "./lib/router.ts";
import { account, announcement, health, isAdmin, loadAccount, startSession } from "./lib/session.ts";
import { useStore } from "./lib/store.ts";
import { setTheme, startTheme, theme, type ThemeChoice } from "./lib/theme.ts";
import { AddModelPage } from "./views/add-model-page.tsx";
import { InstancesPage } from "./views/instances-page.tsx";
import { ModelPage } from "./views/model-page.tsx";
import { ModelsPage } from "./views/models-page.tsx";
import { NotFound } from "./views/not-found.tsx";
import { PredictionPage } from "./views/prediction-page.tsx";
import { PredictionsPage } from "./views/predictions-page.tsx";
import { SignInPage } from "./views/sign-in-page.tsx";
import { TokensPage } from "./views/tokens-page.tsx";

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

function Nav({ path }: { path: string }) {
  const a = useStore(account);
  const admin = isAdmin(a);
  const t = useStore(theme);
  const signedIn = useStore(token);
  const links: [string, string][] = [
    ["/", "Models"],
    ["/predictions", "Predictions"],
    ["/instances", "Instances"],
    ...(admin ? ([["/settings/tokens", "Tokens"], ["/models/new", "Add a model"]] as [string, string][]) : []),
  ];
  const current = (href: string) => (href === "/" ? path === "/" || (path.startsWith("/models/") && path !== "/models/new") : path.startsWith(href));
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <a href="/" class="brand">
          <span class="brand-mark" aria-hidden="true">◆</span> modelhub
        </a>
        <nav aria-label="Main">
          {links.map(([href, label]) => (
            <a href={href} class="nav-link" aria-current={current(href) ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="topbar-end">
          <ServerStatus />
          {signedIn && a?.auth === "on" && (
            <button type="button" class="btn btn-ghost" onClick={() => (setToken(null), location.assign("/sign-in"))}>
              Sign out
            </button>
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
        </div>
      </div>
    </header>
  );
}

function App() {
  const loc = useStore(here);
  const signIn = useStore(needsSignIn);
  const said = useStore(announcement);
  const route = signIn && loc.path !== "/sign-in" ? { page: "sign-in" as const } : match(loc.path, loc.query);
  useEffect(() => {
    if (route.page !== "model" && route.page !== "prediction") document.title = "modelhub";
  }, [route.page]);
  return (
    <>
      <a href="#main" class="skip">Skip to content</a>
      <Nav path={loc.path} />
      <main id="main" tabIndex={-1}>
        {route.page === "models" && <ModelsPage />}
        {route.page === "model" && <ModelPage key={`${route.owner}/${route.name}`} owner={route.owner} name={route.name} tab={route.tab} />}
        {route.page === "prediction" && <PredictionPage key={route.id} id={route.id} />}
        {route.page === "predictions" && <PredictionsPage />}
        {route.page === "instances" && <InstancesPage />}
        {route.page === "new-model" && <AddModelPage />}
        {route.page === "tokens" && <TokensPage />}
        {route.page === "sign-in" && <SignInPage onSignedIn={() => void loadAccount()} />}
        {route.page === "not-found" && <NotFound />}
      </main>
      <div class="sr-only" aria-live="polite" aria-atomic="true">
        {said}
      </div>
    </>
  );
}

startTheme();
startRouter();
startSession();
render(<App />, document.getElementById("app")!);
