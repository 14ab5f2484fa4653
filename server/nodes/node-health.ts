// Whether a node answers, as a pure state machine: pings and a broken event stream in, its state and
// the transition (if any) out. The node service acts on transitions: a node that went down has its
// instances declared lost; one that came up is reconciled by label and followed again.

export type NodeHealthState = "unknown" | "up" | "down";

export interface NodeHealth {
  state: NodeHealthState;
  /** failed checks in a row */
  failures: number;
  lastSeenAt: number | null;
  error: string | null;
}

export type HealthEvent =
  | { kind: "answered"; at: number }
  | { kind: "silent"; at: number; error: string }
  /** its event stream broke: one more check is made at once, and it counts as a failure when that one fails too */
  | { kind: "stream-lost"; at: number; error: string };

export interface HealthRules {
  /** failed checks in a row before a node that was up is down (a busy engine may miss one) */
  downAfter: number;
}

export const NEW_NODE: NodeHealth = { state: "unknown", failures: 0, lastSeenAt: null, error: null };

export function nextHealth(h: NodeHealth, e: HealthEvent, rules: HealthRules): { health: NodeHealth; went: "up" | "down" | null } {
  switch (e.kind) {
    case "answered": {
      const health: NodeHealth = { state: "up", failures: 0, lastSeenAt: e.at, error: null };
      return { health, went: h.state === "up" ? null : "up" };
    }
    case "stream-lost":
      // A stream can break for reasons of its own (a proxy timeout): it only says "check now".
      return { health: { ...h, error: e.error }, went: null };
    case "silent": {
      const failures = h.failures + 1;
      // Never seen: down at the first failure (nothing runs there to lose).
      const down = h.state === "unknown" || failures >= rules.downAfter;
      const health: NodeHealth = { state: down ? "down" : h.state, failures, lastSeenAt: h.lastSeenAt, error: e.error };
      return { health, went: down && h.state !== "down" ? "down" : null };
    }
  }
}

/** What placement sees: a node takes new work only when it is up and not drained. */
export function placementState(h: NodeHealth, drained: boolean): "up" | "draining" | "down" {
  if (h.state !== "up") return "down";
  return drained ? "draining" : "up";
}
