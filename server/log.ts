// One line per event; redacts values whose key looks like a secret. Two formats: readable
// `time LEVEL message key=value …` (the default, for a person at a terminal) and one JSON object a
// line (`--log-format json`, for log collectors).

type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /token|secret|password|authorization|api_key/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : v;
  return out;
}

/** key=value, quoting values with spaces, quotes or newlines (logfmt's rules). */
function readableFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const text = typeof v === "string" ? v : JSON.stringify(v);
      return `${k}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`;
    })
    .join(" ");
}

export type LogFormat = "text" | "json";

export function createLogger(level: string, write: (line: string) => void = (l) => process.stderr.write(l + "\n"), format: LogFormat = "text"): Logger {
  const min = ORDER[(level as Level) in ORDER ? (level as Level) : "info"];
  const emit = (lvl: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const clean = fields ? redact(fields) : {};
    const time = new Date().toISOString();
    if (format === "json") write(JSON.stringify({ time, level: lvl, msg, ...clean }));
    else {
      const extra = readableFields(clean);
      write(`${time} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra ? " " + extra : ""}`);
    }
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
