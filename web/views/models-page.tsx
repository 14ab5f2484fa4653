// The model list: every model in the catalog with its latest version, linking to its page.
import { useEffect, useState } from "preact/hooks";
import { api, type ModelJson } from "../api.ts";

export function ModelsPage() {
  const [models, setModels] = useState<ModelJson[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ results: ModelJson[] }>("GET", "/v1/models").then((p) => setModels(p.results), (e: Error) => setError(e.message));
  }, []);
  return (
    <>
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
                <td>
                  <a href={`/models/${m.owner}/${m.name}`}>{m.owner}/{m.name}</a>
                  <div class="muted">{m.description}</div>
                </td>
                <td><code>{m.latest_version?.id.slice(0, 12) ?? "—"}</code></td>
                <td>{m.latest_version?.cog_version ?? "—"}</td>
                <td>{m.run_count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
