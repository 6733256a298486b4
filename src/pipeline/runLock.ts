/**
 * One writer per run folder: `lock.json` (pid, host, start time) is created exclusively; a second
 * process is told who holds it. A lock whose process is gone (same host, pid not running) is stale
 * and taken over with a note. The lock goes when its holder releases it or exits.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../util/errors";

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
}

const LOCK_FILE = "lock.json";
/** Folders this process holds, released when it exits (a crash without exit leaves a stale lock). */
const held = new Set<string>();
process.once("exit", () => {
  for (const file of held) fs.rmSync(file, { force: true });
});

/** Takes the lock of `dir` (again, when this process holds it already). */
export function acquireRunLock(dir: string): void {
  const file = path.join(dir, LOCK_FILE);
  if (held.has(file)) return;
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me) + "\n", { flag: "wx" });
      held.add(file);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = readHolder(file);
    if (holder && !isStale(holder)) {
      throw new InputError({
        file: dir,
        expected: "a run folder no other process is writing to",
        found: `it is in use by process ${holder.pid} on ${holder.host} since ${holder.started}`,
        hint: `Wait for that run to finish, or give this one another --name. If that process is gone, delete ${file}.`,
      });
    }
    console.error(
      `ehr-msn: taking over the lock of ${dir}: ${holder ? `process ${holder.pid} on ${holder.host} is gone` : "its lock file was unreadable"}`,
    );
    fs.rmSync(file, { force: true });
  }
  throw new InputError({ file, expected: "a lock this process can take", found: "another process took it first" });
}

/** Releases the lock of `dir` when this process holds it. */
export function releaseRunLock(dir: string): void {
  const file = path.join(dir, LOCK_FILE);
  if (!held.delete(file)) return;
  fs.rmSync(file, { force: true });
}

/** The lock's holder, or undefined when the file is torn (a crash while writing it). */
function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === "string" ? h : undefined;
  } catch {
    return undefined;
  }
}

/** A lock is stale when its process ran on this host and is not running any more. */
function isStale(h: LockHolder): boolean {
  if (h.host !== os.hostname()) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}
