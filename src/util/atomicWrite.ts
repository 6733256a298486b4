/**
 * The one way this library writes a file it will read again (checkpoints, caches, embeddings, run
 * records, reports, cohort CSVs): into a temporary file in the same folder, flushed to disk (fsync),
 * renamed over the target, and the folder flushed. A crash or a full disk at any moment leaves the old
 * file or the new one, never half of one, and a failed write removes its temporary file.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "./errors";
import { processAlive } from "./processAlive";

/** A write that failed for want of disk space: an InputError (one line, what to do) that names the file. */
export class DiskFullError extends InputError {
  constructor(
    readonly file: string,
    readonly code: "ENOSPC" | "EDQUOT",
  ) {
    super({
      file,
      expected: "room on its disk to write it",
      found: code === "ENOSPC" ? "the disk full (ENOSPC)" : "the disk quota used up (EDQUOT)",
      hint:
        `Nothing was replaced: an earlier ${path.basename(file)} is as it was, and the partial copy was removed. ` +
        `Free space in ${path.dirname(file)} (df -h shows how much is left) or write elsewhere, then run the command again.`,
    });
  }
}

/**
 * `e` as the user should see it when writing `file` failed: a full disk (or quota) is a DiskFullError
 * naming `file` (also when `e` named a file written on the way to it); any other error is returned as it is.
 */
export function writeError(file: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === "ENOSPC" || code === "EDQUOT" ? new DiskFullError(file, code) : e;
}

/** The temporary name a write of `file` goes through (same folder, so the rename is atomic). */
export function tempPathFor(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

/**
 * Removes the temporary files (`*.tmp-<pid>`) that a killed write left in `dir`: those of a process
 * that is gone. A live process's are its own business (a concurrent write), so they stay. Returns the
 * removed names.
 */
export function removeOrphanedTemporaries(dir: string): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const pid = Number(/\.tmp-(\d+)$/.exec(name)?.[1]);
    if (!pid || processAlive(pid)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Writes `data` to `file` atomically and durably. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(file);
  try {
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(file, e);
  }
  fsyncDir(path.dirname(file));
}

/** `JSON.stringify(value, null, 2)` and a final newline, written atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Moves a file or folder written under a temporary name (e.g. by a stream, or a folder of several files)
 * into place: flushes what it holds, renames it over `target` and flushes the parent folder.
 */
export function commitAtomic(tmp: string, target: string): void {
  fsyncTree(tmp);
  fs.renameSync(tmp, target);
  fsyncDir(path.dirname(target));
}

/** Flushes a folder's entries (the rename of a file into it) to disk. Some file systems refuse; that is fine. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // e.g. EISDIR/EINVAL on file systems that cannot sync a folder: the rename is still atomic
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function fsyncTree(p: string): void {
  if (fs.statSync(p).isDirectory()) {
    for (const e of fs.readdirSync(p)) fsyncTree(path.join(p, e));
    fsyncDir(p);
    return;
  }
  const fd = fs.openSync(p, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
