// The nodes table: other machines' Docker engines modelhub may run models on. The engine beside
// modelhub is the node "local" and has no row. Certificates are kept as file paths, read on connect.
import type { Db } from "../db/database.ts";
import type { CheckedNode } from "./node-input.ts";

/** A node as added (checked), plus what the table keeps about it since. */
export interface NodeRow extends CheckedNode {
  drained: boolean;
  createdAt: string;
  lastSeenAt: string | null;
}

interface Raw {
  name: string;
  engine: string;
  tls_ca: string;
  tls_cert: string;
  tls_key: string;
  labels: string;
  fake_gpus: number;
  drained: number;
  created_at: string;
  last_seen_at: string | null;
}

const toRow = (r: Raw): NodeRow => ({
  name: r.name,
  engine: r.engine,
  tlsCa: r.tls_ca,
  tlsCert: r.tls_cert,
  tlsKey: r.tls_key,
  labels: JSON.parse(r.labels) as Record<string, string>,
  fakeGpus: r.fake_gpus,
  drained: r.drained === 1,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
});

export class NodeStore {
  constructor(private db: Db) {}

  list(): NodeRow[] {
    return (this.db.query("SELECT * FROM nodes ORDER BY name").all() as Raw[]).map(toRow);
  }

  get(name: string): NodeRow | null {
    const r = this.db.query("SELECT * FROM nodes WHERE name = ?").get(name) as Raw | null;
    return r ? toRow(r) : null;
  }

  /** false when the name is taken */
  add(n: Omit<NodeRow, "createdAt" | "lastSeenAt" | "drained">, now: string): boolean {
    const r = this.db
      .query("INSERT OR IGNORE INTO nodes (name, engine, tls_ca, tls_cert, tls_key, labels, fake_gpus, drained, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)")
      .run(n.name, n.engine, n.tlsCa, n.tlsCert, n.tlsKey, JSON.stringify(n.labels), n.fakeGpus, now);
    return r.changes === 1;
  }

  setDrained(name: string, drained: boolean): void {
    this.db.query("UPDATE nodes SET drained = ? WHERE name = ?").run(drained ? 1 : 0, name);
  }

  seen(name: string, at: string): void {
    this.db.query("UPDATE nodes SET last_seen_at = ? WHERE name = ?").run(at, name);
  }

  remove(name: string): void {
    this.db.query("DELETE FROM nodes WHERE name = ?").run(name);
  }
}
