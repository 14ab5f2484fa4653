// One server per data folder. `modelhub.lock` names the process that owns the folder; a second
// server refuses before it opens the database or looks at a container, because adopting or
// removing "leftover" containers that are in fact the first server's would break its work.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface LockOwner {
  pid: number;
  /** the URL the owner serves on, once it listens */
  url?: string;
  startedAt: string;
}

export class DataFolderInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `the data folder ${dataDir} is in use by another modelhub (pid ${owner.pid}${owner.url ? `, serving ${owner.url}` : ""}, since ${owner.startedAt}); ` +
        "stop that one first, or give this one its own folder with --data-dir",
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
    return Number.isInteger(o.pid) && o.pid > 0 ? o : null;
  } catch {
    return null;
  }
}

export interface DataLock {
  /** records the URL the server listens on, for the message a second server prints */
  setUrl(url: string): void;
  release(): void;
}

/**
 * Takes the folder's lock or throws DataFolderInUse. A lock whose process is gone (a crash, kill -9)
 * is taken over. Our own pid in the file is stale too: a restarted container's modelhub is pid 1 again.
 */
export function lockDataFolder(dataDir: string): DataLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "modelhub.lock");
  const me: LockOwner = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      // O_EXCL: of two servers starting at the same moment, exactly one creates the file.
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw err;
      const owner = readOwner(path);
      if (owner && owner.pid !== process.pid && alive(owner.pid)) throw new DataFolderInUse(dataDir, owner);
      try {
        unlinkSync(path);
      } catch {
        /* another starter removed it first; try again */
      }
    }
  }
  const ours = () => readOwner(path)?.pid === process.pid;
  return {
    setUrl(url) {
      if (ours()) writeFileSync(path, JSON.stringify({ ...me, url }));
    },
    release() {
      try {
        if (ours()) unlinkSync(path);
      } catch {
        /* already gone */
      }
    },
  };
}
