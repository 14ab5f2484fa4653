// What every command gets: the client (URL and token resolved once) and the terminal's style.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../server/config.ts";
import { Client } from "./client.ts";

export interface Style {
  /** colour allowed on this stream (NO_COLOR, --color, a terminal) */
  color: boolean;
  tty: boolean;
  dim(s: string): string;
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

export function makeStyle(color: boolean, tty: boolean): Style {
  const wrap = (code: number, reset: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[${reset}m` : s);
  return { color, tty, dim: wrap(2, 22), bold: wrap(1, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39) };
}

/** --color always|never|auto wins; then NO_COLOR (any value) turns it off; then a terminal turns it on. */
export function wantColor(flag: string | undefined, env: Record<string, string | undefined>, isTty: boolean): boolean {
  if (flag === "always" || flag === "true") return true;
  if (flag === "never" || flag === "false") return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return isTty;
}

const isLoopback = (url: string) => {
  try {
    const h = new URL(url).hostname.replace(/^\[|\]$/g, "");
    return h === "localhost" || h === "::1" || /^127\./.test(h);
  } catch {
    return false;
  }
};

/**
 * --token / MODELHUB_TOKEN, else the admin token `modelhub serve` wrote into its data folder, when
 * the server is on this machine (the file is only readable by the user who runs the server).
 */
export function resolveToken(config: Readonly<Config>): string | undefined {
  if (config.token) return config.token;
  if (!isLoopback(config.url)) return undefined;
  try {
    return readFileSync(join(config.dataDir, "admin-token"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface Context {
  client: Client;
  config: Readonly<Config>;
  flags: Record<string, string>;
  /** stdout and stderr styles (each its own terminal test) */
  out: Style;
  err: Style;
}

export function makeContext(config: Readonly<Config>, flags: Record<string, string>, env: Record<string, string | undefined>): Context {
  const outTty = !!process.stdout.isTTY;
  const errTty = !!process.stderr.isTTY;
  return {
    client: new Client(config.url, resolveToken(config)),
    config,
    flags,
    out: makeStyle(wantColor(flags.color, env, outTty), outTty),
    err: makeStyle(wantColor(flags.color, env, errTty), errTty),
  };
}
