// Checking a node to add before anything connects to it: its name, its engine address, its
// certificate files and labels. Every problem is a 422 naming the field.
import { type FieldError, invalidInput } from "../errors.ts";

export interface NewNode {
  name: string;
  engine: string;
  tls_ca?: string;
  tls_cert?: string;
  tls_key?: string;
  labels?: Record<string, string>;
  fake_gpus?: number;
}

export interface CheckedNode {
  name: string;
  engine: string;
  tlsCa: string;
  tlsCert: string;
  tlsKey: string;
  labels: Record<string, string>;
  fakeGpus: number;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$/;

export function checkNewNode(n: NewNode, fileExists: (path: string) => boolean): CheckedNode {
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, rule: "invalid", message });
  if (!NAME.test(n.name ?? "")) bad("name", "a node name is 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
  const engine = (n.engine ?? "").trim();
  const tcp = /^tcp:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(engine);
  const unix = /^unix:\/\/\/[^\0]+$/.test(engine);
  if (!tcp && !unix) bad("engine", "the engine is tcp://HOST:PORT (dockerd --tlsverify, usually port 2376) or unix:///path/to/docker.sock");
  if (tcp && (Number(tcp[2]) < 1 || Number(tcp[2]) > 65535)) bad("engine", "the engine's port must be 1-65535");
  if (tcp) {
    // A Docker API socket is root on that machine: never without mutual TLS.
    for (const f of ["tls_ca", "tls_cert", "tls_key"] as const) {
      const path = n[f];
      if (!path) bad(f, `${f} is required for a tcp:// engine (mutual TLS; see modelhub nodes ca)`);
      else if (!fileExists(path)) bad(f, `${path} does not exist on the modelhub machine`);
    }
  }
  const labels = n.labels ?? {};
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k)) bad("labels", `label key ${JSON.stringify(k)} must be letters, digits, '.', '_', '/' or '-'`);
    if (typeof v !== "string" || v.length > 200) bad("labels", `label ${k} must have a string value of at most 200 characters`);
  }
  const fakeGpus = n.fake_gpus ?? 0;
  if (!Number.isInteger(fakeGpus) || fakeGpus < 0 || fakeGpus > 64) bad("fake_gpus", "fake_gpus is a whole number from 0 to 64");
  if (errors.length) throw invalidInput(errors.map((e) => e.message).join("; "), errors);
  return { name: n.name, engine, tlsCa: n.tls_ca ?? "", tlsCert: n.tls_cert ?? "", tlsKey: n.tls_key ?? "", labels, fakeGpus };
}
