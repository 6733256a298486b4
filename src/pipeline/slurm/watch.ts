/** Watching a study on Slurm from a notebook or a terminal: its status polled, drawn as one progress bar. */
import { progress } from "../../util/progress";
import { checkInt } from "../../util/validate";
import { slurmStatus, SlurmStatus } from "./status";

export interface WatchOptions {
  /** Seconds between two looks at the queue and the run folder (default 15). */
  everySeconds?: number;
  /** Called with each status (e.g. to print `statusText`). */
  onStatus?: (s: SlurmStatus) => void;
  quiet?: boolean;
}

/** Polls until every task is done or the study cannot go on (a failed task); the last status. */
export async function watchSlurm(runDir: string, options: WatchOptions = {}): Promise<SlurmStatus> {
  const every = checkInt(options.everySeconds ?? 15, "everySeconds", { min: 1 });
  let status = slurmStatus(runDir);
  const bar = progress("slurm", status.tasks.length, { unit: "task", quiet: options.quiet });
  for (;;) {
    const count = (state: string) => status.tasks.filter((t) => t.state === state).length;
    const running = status.tasks.filter((t) => t.state === "running").map((t) => `${t.task}: ${t.detail}`);
    bar.set(count("done"), {
      queued: count("queued") + count("interrupted"),
      failed: count("failed"),
      running: running.join("; "),
    });
    options.onStatus?.(status);
    if (status.finished) break;
    await new Promise((r) => setTimeout(r, every * 1000));
    status = slurmStatus(runDir);
  }
  bar.finish();
  return status;
}
