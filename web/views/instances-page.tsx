// /instances: running containers (state, model, GPUs, memory, boot time, idle time, queue; stop),
// waiting queues and this machine's GPUs, refreshed every few seconds.
import { useEffect, useState } from "preact/hooks";
import { api } from "../lib/api.ts";
import { duration } from "../lib/time.ts";
import { Loading, Notice, Page } from "./common.tsx";
import type { InstancesJson } from "../../server/contract/wire-extensions.ts";

interface NodesJson {
  nodes: { name: string; engine: string; state: string; gpus: { name: string; simulated: boolean }[]; instances: number; last_seen_at: string | null; error: string | null }[];
}

const mb = (b: number | null) => (b === null || b === undefined ? "—" : `${Math.round(b / 1024 / 1024)} MB`);

export function InstancesPage() {
  const [data, setData] = useState<InstancesJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [nodes, setNodes] = useState<NodesJson["nodes"]>([]);
  const load = () => {
    // Nodes are shown only when there is more than the local engine; a server without them answers 404.
    void api<NodesJson>("GET", "/v1/nodes").then((d) => setNodes(d.nodes), () => setNodes([]));
    return api<InstancesJson>("GET", "/v1/instances").then((d) => (setData(d), setError(null)), (e) => setError(e.message));
  };
  useEffect(() => {
    document.title = "Instances · modelhub";
    void load();
    const t = setInterval(() => void load(), 3000);
    return () => clearInterval(t);
  }, []);
  const stop = async (id: string) => {
    try {
      await api("POST", `/v1/instances/${encodeURIComponent(id)}/stop`, {});
      void load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Page title="Instances">
      {error && <Notice>{error}</Notice>}
      {!data && !error && <Loading />}
      {data && (
        <>
          <h2>Containers</h2>
          {data.instances.length === 0 ? (
            <p class="muted empty">Nothing is running. A model's container starts with its first prediction.</p>
          ) : (
            <div class="table-wrap">
              <table class="table table-cards">
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>State</th>
                    <th>Node</th>
                    <th>GPUs</th>
                    <th>Busy</th>
                    <th>Queue</th>
                    <th>Boot</th>
                    <th>Idle</th>
                    <th>Memory</th>
                    <th>
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.instances.map((i) => (
                    <tr>
                      <td class="cell-main">
                        <a href={`/models/${i.model}`}>{i.model}</a>
                        <div class="mono small muted">{i.id}</div>
                      </td>
                      <td data-label="State">
                        <span class={`chip chip-${i.state === "ready" ? (i.in_flight ? "processing" : "succeeded") : i.state === "starting" ? "booting" : "canceled"}`}>
                          <span class="dot" aria-hidden="true" />
                          {i.state}
                        </span>
                      </td>
                      <td data-label="Node">{i.node}</td>
                      <td data-label="GPUs">{i.gpus.length ? i.gpus.join(", ") : "CPU"}</td>
                      <td class="tabular" data-label="Busy">
                        {i.in_flight}/{i.concurrency}
                      </td>
                      <td class="tabular" data-label="Queue">{i.queued}</td>
                      <td class="tabular" data-label="Boot">{duration(i.boot_ms)}</td>
                      <td class="tabular" data-label="Idle">{i.idle_seconds === null ? "—" : duration(i.idle_seconds * 1000)}</td>
                      <td class="tabular" data-label="Memory">{mb(i.peak_memory_bytes)}</td>
                      <td class="cell-actions">
                        <button type="button" class="btn btn-danger" onClick={() => void stop(i.id)}>
                          Stop
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {data.queues.some((q) => q.queued > 0 || q.setup_error) && (
            <>
              <h2>Waiting</h2>
              <ul class="plain">
                {data.queues.map((q) => (
                  <li>
                    <a href={`/models/${q.model}`}>{q.model}</a>: {q.queued} queued{q.waiting_for ? ` · ${q.waiting_for}` : ""}
                    {q.setup_error && <span class="field-error"> · setup failed: {q.setup_error}</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {nodes.length > 1 && (
            <>
              <h2>Nodes</h2>
              <ul class="plain">
                {nodes.map((n) => (
                  <li>
                    <strong>{n.name}</strong> · {n.state} · {n.gpus.length ? `${n.gpus.length} GPU${n.gpus.length === 1 ? "" : "s"}${n.gpus.some((g) => g.simulated) ? " (simulated)" : ""}` : "CPU"} ·{" "}
                    {n.instances} instance{n.instances === 1 ? "" : "s"}
                    {n.name !== "local" && ` · last seen ${n.last_seen_at ? new Date(n.last_seen_at).toLocaleString() : "never"}`}
                    {n.error && <span class="field-error"> · {n.error}</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
          <h2>GPUs</h2>
          {data.gpus.devices.length === 0 ? (
            <p class="muted">No GPU found{data.gpus.note ? `: ${data.gpus.note}` : ""}. Models run on the CPU.</p>
          ) : (
            <ul class="cards gpu-cards">
              {data.gpus.devices.map((g) => (
                <li class="card">
                  <div class="card-body">
                    <strong>
                      GPU {g.index} · {g.name}
                    </strong>
                    <p class="muted small">
                      {g.memory_total_mib ? `${Math.round(g.memory_total_mib / 1024)} GiB` : ""}
                      {g.simulated ? " · simulated" : ""} · {g.instance ? `used by ${g.instance}` : "free"}
                    </p>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Page>
  );
}
