// Small pieces every page uses: status chip, copy button, relative time, tabs, notices.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { PredictionJson } from "../lib/api.ts";
import { ago } from "../lib/time.ts";

const LABEL: Record<string, string> = {
  starting: "Starting",
  queued: "Queued",
  booting: "Booting",
  processing: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  canceled: "Canceled",
  canceling: "Canceling…",
};

/** What the chip should say: a starting prediction is queued (with a place in line) or booting. */
export function phaseOf(p: Pick<PredictionJson, "status" | "queue">, canceling = false): string {
  if (canceling) return "canceling";
  if (p.status === "starting") return p.queue ? (p.queue.position > 1 || !p.queue.cold_boot ? "queued" : "booting") : "starting";
  return p.status;
}

export function StatusChip({ phase, children }: { phase: string; children?: ComponentChildren }) {
  return (
    <span class={`chip chip-${phase}`} data-status={phase}>
      <span class="dot" aria-hidden="true" />
      {LABEL[phase] ?? phase}
      {children}
    </span>
  );
}

export function useNow(intervalMs = 1000, active = true): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, active]);
  return now;
}

export function Ago({ iso }: { iso: string | null | undefined }) {
  const now = useNow(30_000);
  return iso ? <time dateTime={iso} title={new Date(iso).toLocaleString()}>{ago(iso, now)}</time> : <span>—</span>;
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Not a secure context (http on the LAN): the old way still works.
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand("copy");
    ta.remove();
    return ok;
  }
}

export function CopyButton({ text, label = "Copy", class: cls = "btn" }: { text: string | (() => string); label?: string; class?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class={cls}
      data-copy={label}
      onClick={async () => {
        if (await copyText(typeof text === "function" ? text() : text)) {
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        }
      }}
    >
      {done ? "Copied" : label}
    </button>
  );
}

export function Tabs<T extends string>({ tabs, current, onSelect, label }: { tabs: readonly { id: T; label: string; href?: string }[]; current: T; onSelect?: (id: T) => void; label: string }) {
  // ARIA tabs: arrows move between them.
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === current);
    const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : e.key === "Home" ? 0 : e.key === "End" ? tabs.length - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const t = tabs[(next + tabs.length) % tabs.length];
    onSelect?.(t.id);
    requestAnimationFrame(() => document.getElementById(`tab-${t.id}`)?.focus());
  };
  // On a phone the tab row scrolls sideways: keep the selected tab in sight.
  const row = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const box = row.current;
    const el = box?.querySelector<HTMLElement>('[aria-selected="true"]');
    if (!box || !el) return;
    if (el.offsetLeft + el.offsetWidth > box.scrollLeft + box.clientWidth) box.scrollLeft = el.offsetLeft + el.offsetWidth - box.clientWidth;
    else if (el.offsetLeft < box.scrollLeft) box.scrollLeft = el.offsetLeft;
  }, [current]);
  return (
    <div class="tabs" role="tablist" aria-label={label} onKeyDown={onKey} ref={row}>
      {tabs.map((t) => (
        <a
          id={`tab-${t.id}`}
          role="tab"
          href={t.href ?? "#"}
          aria-selected={t.id === current}
          tabIndex={t.id === current ? 0 : -1}
          class="tab"
          onClick={(e) => {
            if (!t.href) e.preventDefault();
            onSelect?.(t.id);
          }}
        >
          {t.label}
        </a>
      ))}
    </div>
  );
}

export function Notice({ kind = "err", children }: { kind?: "err" | "info" | "ok"; children: ComponentChildren }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === "err" ? "alert" : "status"}>
      {children}
    </div>
  );
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return <p class="muted loading">{what}…</p>;
}

export function Page({ title, actions, children }: { title: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <>
      <div class="page-head">
        <h1>{title}</h1>
        {actions && <div class="actions">{actions}</div>}
      </div>
      {children}
    </>
  );
}
