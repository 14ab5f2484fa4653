// /settings/tokens (admins): API tokens: create one (shown once), list, revoke.
import { useEffect, useState } from "preact/hooks";
import { api, type PageJson } from "../lib/api.ts";
import { account } from "../lib/session.ts";
import { useStore } from "../lib/store.ts";
import { Ago, CopyButton, Loading, Notice, Page } from "./common.tsx";

interface TokenJson {
  id: string;
  name: string;
  role: "admin" | "user";
  created_at: string;
  last_used_at: string | null;
}

export function TokensPage() {
  const [tokens, setTokens] = useState<TokenJson[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [role, setRole] = useState<"user" | "admin">("user");
  const [created, setCreated] = useState<{ name: string; role: string; token: string } | null>(null);
  const me = useStore(account);
  const load = () =>
    api<PageJson<TokenJson>>("GET", "/v1/tokens").then(
      (p) => setTokens(p.results),
      (e) => setError(e.message),
    );
  useEffect(() => {
    document.title = "Tokens · modelhub";
    void load();
  }, []);
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const t = await api<TokenJson & { token: string }>("POST", "/v1/tokens", { name: name.trim(), role });
      setCreated({ name: t.name, role: t.role, token: t.token });
      setName("");
      setError(null);
      void load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const revoke = async (t: TokenJson) => {
    const own = me?.auth === "on" && t.name === me.name;
    if (!confirm(`Revoke the token “${t.name}”? Programs using it stop working.${own ? " It is the one you signed in with: you will be signed out." : ""}`)) return;
    try {
      await api("DELETE", `/v1/tokens/${encodeURIComponent(t.id)}`);
      void load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Page title="API tokens">
      <div class="stack">
        {me?.auth === "off" && <Notice kind="info">This server runs with <code>--auth off</code>: it checks no tokens. The ones made here take effect once it is started with <code>--auth on</code>.</Notice>}
        <form class="card row-wrap" onSubmit={create}>
          <div class="field grow">
            <label for="token-name">Name</label>
            <input id="token-name" placeholder="laptop, ci, alice" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
          </div>
          <div class="field">
            <label for="token-role">Role</label>
            <select id="token-role" value={role} onChange={(e) => setRole(e.currentTarget.value as "user" | "admin")}>
              <option value="user">user</option>
              <option value="admin">admin</option>
            </select>
          </div>
          <button class="btn btn-primary align-end" type="submit" disabled={!name.trim()}>
            Create token
          </button>
        </form>
        {created && (
          <Notice kind="ok">
            <p>
              The new token <strong>{created.name}</strong> ({created.role}). Copy it now: it is not shown again.
            </p>
            <div class="row-inline">
              <code class="mono token-value">{created.token}</code>
              <CopyButton text={created.token} />
            </div>
          </Notice>
        )}
        {error && <Notice>{error}</Notice>}
        {!tokens && !error && <Loading />}
        {tokens && (
          <div class="table-wrap">
            <table class="table table-cards">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Role</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr>
                    <td class="cell-main">
                      {t.name}
                      {me?.auth === "on" && t.name === me.name && <span class="tag">you</span>}
                    </td>
                    <td data-label="Role">{t.role}</td>
                    <td data-label="Created">
                      <Ago iso={t.created_at} />
                    </td>
                    <td data-label="Last used">{t.last_used_at ? <Ago iso={t.last_used_at} /> : "never"}</td>
                    <td class="cell-actions">
                      <button type="button" class="btn btn-danger" onClick={() => void revoke(t)}>
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </Page>
  );
}
