/**
 * One writer per folder: `<dir>/lock.json`, made with an exclusive create, says who holds it (pid, host,
 * Slurm job, start time); a second process is told who. A lock is stale when its holder is gone: the same
 * host and a dead pid, or the same Slurm job (a requeued task is its own successor: Slurm runs one
 * incarnation of a job at a time). A stale lock is taken over with a note on stderr. A lock from another
 * host is never taken over: its process cannot be checked.
 * Run folders (`RunFolder.lock`) and the Slurm runner's model folders both use it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { removeOrphanedTemporaries } from "../util/atomicWrite";
import { InputError } from "../util/errors";
import { processAlive } from "../util/processAlive";

export interface LockHolder {
  pid: number;
  host: string;
  /** `SLURM_JOB_ID` of the holder, when it runs under Slurm. */
  job?: string;
  /** ISO time the lock was taken. */
  started: string;
}

export interface FolderLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock if this process still holds it. */
  release(): void;
}

/**
 * Locks this process holds, by file: taking one again returns it (a notebook cell that opens the same run
 * twice is not a second writer), and all go when the process exits (a crash without exit leaves a stale one).
 */
const held = new Map<string, FolderLock>();
process.once("exit", () => {
  for (const lock of [...held.values()]) lock.release();
});

function me(): LockHolder {
  const job = process.env.SLURM_JOB_ID;
  return { pid: process.pid, host: os.hostname(), ...(job ? { job } : {}), started: new Date().toISOString() };
}

/** Whether `holder` can no longer be holding its lock, as seen from `self`. */
export function isStale(holder: LockHolder, self: LockHolder = me()): boolean {
  if (holder.job !== undefined && holder.job === self.job) return true;
  return holder.host === self.host && !processAlive(holder.pid);
}

/**
 * Takes the lock of `dir` (made if missing), taking over a stale one; a live holder is named in the error,
 * followed by `hint` (what the user can do instead).
 */
export function lockFolder(dir: string, hint = "Wait for that process to finish."): FolderLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "lock.json");
  const mine = held.get(file);
  if (mine) return mine;
  const holder = me();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(holder) + "\n", { flag: "wx" });
      const lock: FolderLock = {
        file,
        holder,
        release() {
          if (held.get(file) !== lock) return;
          held.delete(file);
          const now = readHolder(file);
          if (now && now.pid === holder.pid && now.host === holder.host) fs.rmSync(file, { force: true });
        },
      };
      held.set(file, lock);
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const other = readHolder(file);
    if (other && !isStale(other, holder)) {
      throw new InputError({
        file: dir,
        expected: "a folder no other process is writing to",
        found: `it is in use by process ${other.pid} on ${other.host}${other.job ? ` (Slurm job ${other.job})` : ""} since ${other.started}`,
        hint: `${hint} If that process is gone, delete ${file}.`,
      });
    }
    console.error(
      `ehr-msn: taking over the lock of ${dir}: ${other ? `process ${other.pid} on ${other.host} is gone` : "its lock file was unreadable"}`,
    );
    fs.rmSync(file, { force: true });
  }
  throw new InputError({ file, expected: "a lock this process can take", found: "another process took it first" });
}

/** The lock's holder, or undefined when the file is gone or torn (a crash while writing it). */
function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === "string" ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the temporary files (`*.tmp-<pid>`) that killed writers left anywhere under `dir`, a folder
 * this process holds the lock of. A sub-folder with a live lock of its own (a Slurm task's model folder,
 * perhaps written from another host) is its holder's business and is passed over.
 */
export function removeOrphanedTemporariesUnder(dir: string): void {
  removeOrphanedTemporaries(dir);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const sub = path.join(dir, e.name);
    const holder = readHolder(path.join(sub, "lock.json"));
    if (!holder || isStale(holder)) removeOrphanedTemporariesUnder(sub);
  }
}
