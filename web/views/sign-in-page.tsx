// /sign-in: shown when the server requires tokens. The token is checked with GET /v1/account and
// kept in localStorage; every API call then sends it as a Bearer header.
import { useEffect, useState } from "preact/hooks";
import { needsSignIn, setToken, token } from "../lib/api.ts";
import { navigate } from "../lib/router.ts";
import { Notice } from "./common.tsx";

export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  // A token kept from before that the server now refuses (revoked, or another server's).
  const [stale] = useState(() => !!token.get() && needsSignIn.get());
  useEffect(() => void (document.title = "Sign in · modelhub"), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = value.trim();
    const res = await fetch("/v1/account", { headers: { authorization: `Bearer ${t}` } }).catch(() => null);
    if (!res) return setError("The server could not be reached.");
    if (!res.ok) return setError(res.status === 401 ? "That token is not valid on this server." : `The server answered ${res.status}.`);
    setToken(t);
    needsSignIn.set(false);
    onSignedIn();
    // Elsewhere, the page's data failed to load without the token: load it again.
    if (location.pathname === "/sign-in") navigate("/");
    else location.reload();
  };
  return (
    <div class="sign-in">
      <form class="card stack" onSubmit={submit}>
        <h1>Sign in to modelhub</h1>
        <p class="muted">
          This server requires an API token. An admin creates one on the Tokens page or with <code>modelhub tokens create</code>; the first admin token is in the data folder's <code>admin-token</code> file.
        </p>
        <div class="field">
          <label for="token">Token</label>
          <input id="token" type="password" class="mono" autoComplete="current-password" placeholder="mh_…" value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
        </div>
        {stale && !error && <Notice kind="info">The saved token is no longer accepted (it may have been revoked). Sign in with another one.</Notice>}
        {error && <Notice>{error}</Notice>}
        <button class="btn btn-primary" type="submit">
          Sign in
        </button>
      </form>
    </div>
  );
}
