// /models/new (admins): import a Cog image on this machine as a version of owner/name
// (POST /v1/models/{owner}/{name}/versions {"image": ...}).
import { useState } from "preact/hooks";
import { api, HttpError, type VersionJson } from "../lib/api.ts";
import { navigate } from "../lib/router.ts";
import { Notice, Page } from "./common.tsx";

const NAME = /^[a-z0-9][a-z0-9._-]*$/;

export function AddModelPage() {
  const [image, setImage] = useState("");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // owner/name from the image ref when not typed: acme/hello:latest → acme/hello.
  const guess = image.trim().replace(/[@:][^/]*$/, "").split("/").slice(-2).join("/").toLowerCase();
  const target = (name.trim() || (guess.includes("/") ? guess : `local/${guess}`)).toLowerCase();
  const [owner, model] = target.split("/");
  const valid = !!image.trim() && !!owner && !!model && NAME.test(owner) && NAME.test(model) && target.split("/").length === 2;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!valid) return setError("Give an image and a name of the form owner/name (lower case letters, digits, . _ -)");
    setBusy(true);
    setError(null);
    try {
      await api<VersionJson>("POST", `/v1/models/${owner}/${model}/versions`, { image: image.trim() });
      navigate(`/models/${owner}/${model}`);
    } catch (err) {
      setError(err instanceof HttpError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Add a model">
      <form class="card stack narrow" onSubmit={submit}>
        <p class="muted">Import an image built with <code>cog build</code> that is on this machine's Docker engine. Its Cog labels give the form and the output.</p>
        <div class="field">
          <label for="image">Image</label>
          <input id="image" class="mono" placeholder="acme/hello:latest" value={image} onInput={(e) => setImage(e.currentTarget.value)} required autoComplete="off" spellcheck={false} />
        </div>
        <div class="field">
          <label for="model-name">Name</label>
          <input id="model-name" class="mono" placeholder={image ? target : "owner/name"} value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" spellcheck={false} />
          <div class="hint">owner/name; empty takes it from the image</div>
        </div>
        {error && <Notice>{error}</Notice>}
        <div>
          <button class="btn btn-primary" type="submit" disabled={busy}>
            {busy ? "Importing…" : "Add model"}
          </button>
        </div>
      </form>
    </Page>
  );
}
