// Room kept aside in the data folder for the writes that free space. On a full disk even a DELETE
// needs a few database pages (SQLite's write-ahead log grows before anything is freed); this file
// holds that room and is given back when such a write finds the disk full, then taken again once
// there is space.
import { rmSync, statSync, writeFileSync } from "node:fs";
import { fullPart } from "../db/disk-full.ts";

/** Enough for a delete's log frames (a few 4 KiB pages each) many times over. */
export const RESERVE_BYTES = 256 * 1024;

export class SpaceReserve {
  constructor(
    private path: string,
    private bytes = RESERVE_BYTES,
  ) {}

  /** Takes the room (at start, and after it was used); false while the disk has none to spare. */
  take(): boolean {
    try {
      if (statSync(this.path, { throwIfNoEntry: false })?.size === this.bytes) return true;
      writeFileSync(this.path, Buffer.alloc(this.bytes));
      return true;
    } catch {
      rmSync(this.path, { force: true });
      return false;
    }
  }

  /**
   * Runs `free` (a write that frees space: deleting a file, a prediction); when it fails on a full
   * disk, the reserve is given back and `free` runs once more, then the reserve is taken again.
   */
  freeing<T>(free: () => T): T {
    try {
      return free();
    } catch (err) {
      if (!fullPart(err)) throw err;
      rmSync(this.path, { force: true });
      try {
        return free();
      } finally {
        this.take();
      }
    }
  }
}
