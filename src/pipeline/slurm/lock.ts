/**
 * A folder lock, so that two tasks never write the same model folder: `<dir>/lock.json` made with an
 * exclusive create, holding who has it (pid, host, Slurm job, start time). A lock is stale when its
 * holder is gone: the same host and a dead pid, or the same Slurm job (a requeued task is its own
 * successor: Slurm runs one incarnation of a job at a time).
 * The smallest lock the Slurm runner needs; the run-folder lock of the CLI is meant to become this one.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../../util/errors";

export interface LockHolder {
  pid: number;
  host: string;
  /** `SLURM_JOB_ID` of the holder, when it runs under Slurm. */
  job?: string;
  started: string;
}

export interface FolderLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours. */
  release(): void;
}

function me(): LockHolder {
  const job = process.env.SLURM_JOB_ID;
  return { pid: process.pid, host: os.hostname(), ...(job ? { job } : {}), started: new Date().toISOString() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether `held` can no longer be holding its lock, as seen from `self`. */
export function isStale(held: LockHolder, self: LockHolder = me()): boolean {
  if (held.job !== undefined && held.job === self.job) return true;
  return held.host === self.host && !alive(held.pid);
}

/** Takes the lock of `dir`, taking over a stale one; a live holder is named in the error. */
export function lockFolder(dir: string): FolderLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "lock.json");
  const holder = me();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(holder) + "\n", { flag: "wx" });
      return {
        file,
        holder,
        release() {
          const now = readHolder(file);
          if (now && now.pid === holder.pid && now.host === holder.host) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const held = readHolder(file);
    if (held && !isStale(held, holder)) {
      throw new InputError({
        file,
        expected: "a folder no other task is writing",
        found: `a lock held by pid ${held.pid} on ${held.host}${held.job ? ` (Slurm job ${held.job})` : ""} since ${held.started}`,
        hint: "Wait for that task, or delete the lock file if it is no longer running.",
      });
    }
    fs.rmSync(file, { force: true });
  }
  throw new InputError({
    file,
    expected: "a lock this task could take",
    found: "another task taking it at the same time",
  });
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
  } catch {
    return undefined; // gone, or half written by a holder that crashed: no holder to respect
  }
}
