// A prediction while it runs and after: status chip with elapsed time (and the breakdown when done),
// Cancel, live logs from the stream (collapsible, following the tail), and the output.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { JsonSchema } from "../../server/contract/cog-schema.ts";
import { TERMINAL } from "../lib/api.ts";
import { isDone, liveLogs, liveOutput, type RunState } from "../lib/run-state.ts";
import type { RunWatch } from "../lib/run-store.ts";
import { announcement } from "../lib/session.ts";
import { useStore } from "../lib/store.ts";
import { between, duration } from "../lib/time.ts";
import { Notice, phaseOf, StatusChip, useNow } from "./common.tsx";
import { OutputView } from "./output-view.tsx";

export function Logs({ text, running, failed }: { text: string; running: boolean; failed: boolean }) {
  const box = useRef<HTMLPreElement>(null);
  const follow = useRef(true);
  const [open, setOpen] = useState(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [text, open]);
  if (!text) return null;
  const lines = text.replace(/\n$/, "").split("\n").length;
  return (
    <details class="logs" open={open || failed} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>
        Logs <span class="muted">({lines} {lines === 1 ? "line" : "lines"})</span>
      </summary>
      <pre
        ref={box}
        class="logs-box"
        tabIndex={0}
        aria-label="Logs"
        aria-live={running ? "off" : undefined}
        // Following the tail until the reader scrolls up; back at the bottom, following again.
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
        }}
      >
        {text}
      </pre>
    </details>
  );
}

export function Timing({ s }: { s: RunState }) {
  const p = s.prediction!;
  const done = TERMINAL.has(p.status);
  const now = useNow(200, !done);
  const total = done ? between(p.created_at, p.completed_at) : now - Date.parse(p.created_at);
  const queued = between(p.created_at, p.started_at);
  const predict = p.metrics?.predict_time !== undefined ? p.metrics.predict_time * 1000 : between(p.started_at, p.completed_at);
  const verb = p.status === "succeeded" ? "in" : "after";
  return (
    <span class="timing tabular">
      {done ? `${verb} ${duration(total)}` : duration(total)}
      {done && (queued !== null || predict !== null) && (
        <span class="muted breakdown">
          {" "}
          ({queued !== null && `waited ${duration(queued)}`}
          {queued !== null && predict !== null && " · "}
          {predict !== null && `predict ${duration(predict)}`})
        </span>
      )}
    </span>
  );
}

function QueueLine({ s }: { s: RunState }) {
  const q = s.prediction?.queue;
  const now = useNow(1000, !!q);
  if (!q || s.prediction?.status !== "starting") return null;
  const eta = Math.max(0, Date.parse(q.estimated_start_at) - now);
  return (
    <p class="muted small">
      {q.position > 1 ? `#${q.position} in line · ` : ""}starts in ~{duration(eta)}
      {q.cold_boot ? ", including a cold boot" : ""}
      {q.waiting_for ? ` · ${q.waiting_for}` : ""}
    </p>
  );
}

const TITLE_MARK: Record<string, string> = { succeeded: "✓ ", failed: "✕ ", canceled: "✕ " };

export function RunView({ watch, outputSchema, title }: { watch: RunWatch; outputSchema?: JsonSchema; title: string }) {
  const s = useStore(watch.state);
  const p = s.prediction;
  const done = isDone(s);
  const phase = p ? phaseOf(p, s.canceling) : "starting";
  // Tab title: ● while it runs, ✓/✕ when it ends; status transitions go to the live region.
  useEffect(() => {
    document.title = `${done ? (TITLE_MARK[p!.status] ?? "") : "● "}${title}`;
    if (p) announcement.set(done ? `Prediction ${p.status}` : phase === "processing" ? "Prediction running" : `Prediction ${phase}`);
  }, [phase, done, title]);
  useEffect(() => () => void (document.title = title), [title]);
  if (!p) return s.problem ? <Notice>{s.problem}</Notice> : <p class="muted">Loading…</p>;
  const output = liveOutput(s);
  return (
    <div class="run" data-prediction={p.id}>
      <div class="run-head">
        <StatusChip phase={phase} />
        <Timing s={s} />
        {!done && (
          <button type="button" class="btn btn-danger" disabled={s.canceling} onClick={() => void watch.cancel()}>
            {s.canceling ? "Canceling…" : "Cancel"}
          </button>
        )}
      </div>
      <QueueLine s={s} />
      {s.problem && <Notice>{s.problem}</Notice>}
      {p.status === "failed" && (
        <div class="error-block" role="alert">
          <strong>{(p.error ?? "The prediction failed").split("\n")[0]}</strong>
          {(p.error ?? "").includes("\n") && <pre>{p.error!.split("\n").slice(1).join("\n")}</pre>}
        </div>
      )}
      {(p.status !== "failed" || (output !== null && output !== undefined)) && p.status !== "canceled" && <OutputView value={output} schema={outputSchema} streaming={!done} />}
      {p.status === "canceled" && output !== null && output !== undefined && <OutputView value={output} schema={outputSchema} />}
      <Logs text={liveLogs(s)} running={!done} failed={p.status === "failed"} />
    </div>
  );
}
