// coglet's container log stream: one JSON object per line on stderr, `{timestamp, level, fields:
// {message, source?, prediction_id?}, target}`. It is the only place where coglet keeps what the
// model printed in setup() and what a failed sync prediction printed (its answer has `logs: ""`).

interface CogletLogLine {
  target?: string;
  fields?: { message?: unknown; prediction_id?: unknown };
}

function* lines(raw: string): Generator<CogletLogLine> {
  for (const text of raw.split("\n")) {
    const t = text.trim();
    if (!t.startsWith("{")) continue;
    try {
      const line = JSON.parse(t) as CogletLogLine;
      if (line && typeof line === "object") yield line;
    } catch {
      // a plain line (LOG_FORMAT=console, or the model writing to stderr before coglet took it over)
    }
  }
}

const message = (l: CogletLogLine) => (typeof l.fields?.message === "string" ? l.fields.message : null);

/** What the model printed while running prediction `id`, in order. */
export function predictionLogs(raw: string, id: string): string {
  let out = "";
  for (const l of lines(raw)) {
    const m = message(l);
    if (m !== null && l.fields?.prediction_id === id) out += `${m}\n`;
  }
  return out;
}

/** What setup() printed (and its traceback), in order. */
export function setupLogs(raw: string): string {
  let out = "";
  for (const l of lines(raw)) {
    const m = message(l);
    if (m !== null && l.target === "coglet::setup") out += `${m}\n`;
  }
  return out;
}

/**
 * Reads the container's log stream until `pick` finds in it the last line of `error` (coglet logs the
 * traceback, which ends with the error), at most 10 reads 0.1 s apart, then gives what it found.
 * dockerd copies a container's stderr into its log behind the process, so the lines coglet wrote
 * just before it answered can be missing at the first read (seen on a loaded engine).
 */
export async function trailingLogs(readLogs: () => Promise<string>, sleep: (ms: number) => Promise<void>, pick: (raw: string) => string, error: string): Promise<string> {
  const marker = error.trim().split("\n").at(-1) ?? "";
  let text = "";
  for (let attempt = 0; attempt < 10; attempt++) {
    text = pick(await readLogs().catch(() => ""));
    if (text && (!marker || text.includes(marker))) return text;
    await sleep(100);
  }
  return text;
}

/** What setup() printed, right after coglet's health said SETUP_FAILED with the error string `error`. */
export function setupOutput(readLogs: () => Promise<string>, sleep: (ms: number) => Promise<void>, error: string): Promise<string> {
  return trailingLogs(readLogs, sleep, setupLogs, error);
}
