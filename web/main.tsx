// Entry of the web UI: for now a model list read from /v1/models (the full UI comes later).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";

interface ModelItem {
  owner: string;
  name: string;
  description: string | null;
  latest_version: { id: string; cog_version: string } | null;
  run_count: number;
}

function App() {
  const [models, setModels] = useState<ModelItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetch("/v1/models")
      .then(async (r) => (r.ok ? r.json() : Promise.reject(new Error((await r.json()).detail))))
      .then((page: { results: ModelItem[] }) => setModels(page.results))
      .catch((e: Error) => setError(e.message));
  }, []);
  return (
    <>
      <header>modelhub</header>
      <main>
        <h2>Models</h2>
        {error && <p role="alert">Could not load models: {error}</p>}
        {models && models.length === 0 && (
          <p class="muted">
            No models yet. Add a Cog image with <code>modelhub models add IMAGE --name owner/name</code>.
          </p>
        )}
        {models && models.length > 0 && (
          <table>
            <thead>
              <tr><th>Model</th><th>Version</th><th>Cog</th><th>Runs</th></tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={`${m.owner}/${m.name}`}>
                  <td>{m.owner}/{m.name}<div class="muted">{m.description}</div></td>
                  <td><code>{m.latest_version?.id.slice(0, 12) ?? "—"}</code></td>
                  <td>{m.latest_version?.cog_version ?? "—"}</td>
                  <td>{m.run_count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
