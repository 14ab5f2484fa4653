// Entry of the web UI: the shell (navigation, server status, theme) and the client-side routes.
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { needsSignIn } from "./lib/api.ts";
import { here, match, startRouter } from "./lib/router.ts";
import { account, announcement, isAdmin, loadAccount, startSession } from "./lib/session.ts";
import { useStore } from "./lib/store.ts";
import { startTheme } from "./lib/theme.ts";
import { AddModelPage } from "./views/add-model-page.tsx";
import { Loading } from "./views/common.tsx";
import { InstancesPage } from "./views/instances-page.tsx";
import { ModelPage } from "./views/model-page.tsx";
import { ModelsPage } from "./views/models-page.tsx";
import { NotFound } from "./views/not-found.tsx";
import { PredictionPage } from "./views/prediction-page.tsx";
import { PredictionsPage } from "./views/predictions-page.tsx";
import { SignInPage } from "./views/sign-in-page.tsx";
import { TokensPage } from "./views/tokens-page.tsx";
import { signOut, TopBar } from "./views/top-bar.tsx";

/** Pages whose data the API gives to admins only. */
const ADMIN_PAGES = new Set(["new-model", "tokens", "instances"]);

function AdminOnly() {
  const a = account.get();
  return (
    <div class="empty-state">
      <h1>This page is for admins</h1>
      <p class="muted">
        You are signed in as <strong>{a?.name}</strong> with a user token. An admin manages models, instances and tokens.
      </p>
      <p class="row-inline center">
        <a class="btn" href="/">
          Models
        </a>
        <button type="button" class="btn" onClick={signOut}>
          Sign in as someone else
        </button>
      </p>
    </div>
  );
}

function App() {
  const loc = useStore(here);
  const signIn = useStore(needsSignIn);
  const said = useStore(announcement);
  const acct = useStore(account);
  const route = signIn && loc.path !== "/sign-in" ? { page: "sign-in" as const } : match(loc.path, loc.query);
  useEffect(() => {
    if (route.page !== "model" && route.page !== "prediction") document.title = "modelhub";
  }, [route.page]);
  return (
    <>
      <a href="#main" class="skip">Skip to content</a>
      <TopBar path={loc.path} />
      <main id="main" tabIndex={-1}>
        {ADMIN_PAGES.has(route.page) && !acct && <Loading />}
        {ADMIN_PAGES.has(route.page) && acct && !isAdmin(acct) && <AdminOnly />}
        {route.page === "models" && <ModelsPage />}
        {route.page === "model" && <ModelPage key={`${route.owner}/${route.name}`} owner={route.owner} name={route.name} tab={route.tab} />}
        {route.page === "prediction" && <PredictionPage key={route.id} id={route.id} />}
        {route.page === "predictions" && <PredictionsPage />}
        {route.page === "instances" && isAdmin(acct) && <InstancesPage />}
        {route.page === "new-model" && isAdmin(acct) && <AddModelPage />}
        {route.page === "tokens" && isAdmin(acct) && <TokensPage />}
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
