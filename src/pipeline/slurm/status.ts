/**
 * Where a study submitted to Slurm stands: from the run folder (`slurm/jobs.json`, the task records,
 * metrics.jsonl, the logs) and `squeue` (accounting may be off on a cluster, so `sacct` is not used).
 * Each task is queued (with Slurm's reason), running (with its pretraining step and epoch), done,
 * interrupted (back in the queue) or failed (with the last lines of its log).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../../util/errors";
import { RunFolder } from "../runFolder";
import { logFile } from "./scripts";
import type { Submission } from "./submit";
import { taskRecordFile, TaskRecord } from "./task";

export type TaskStage = "queued" | "running" | "done" | "interrupted" | "failed";

export interface TaskStatus {
  /** "shared", a model name, or "final". */
  task: string;
  /** The Slurm job (array tasks as `JOB_INDEX`). */
  job: string;
  state: TaskStage;
  /** Why it waits, where it is (step / epoch), or how it failed. */
  detail: string;
  /** The last lines of its log, for a failed task. */
  log?: string[];
}

export interface SlurmStatus {
  run: string;
  submitted: string;
  tasks: TaskStatus[];
  /** Every task done, or some failed and nothing runs or waits any more. */
  finished: boolean;
}

/** Slurm's view of the jobs still known to it: `JOB` or `JOB_INDEX` -> state and reason. */
function queueStates(ids: string[]): Map<string, { state: string; reason: string }> {
  const out = new Map<string, { state: string; reason: string }>();
  if (ids.length === 0) return out;
  const r = spawnSync("squeue", ["-h", "-r", "-t", "all", "-o", "%i|%T|%r", "-j", ids.join(",")], {
    encoding: "utf8",
    timeout: 15_000,
  });
  // Jobs Slurm has forgotten make squeue fail: the run folder's records speak for them.
  if (r.status !== 0 || r.error) return out;
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const [id, state, reason] = line.split("|");
    out.set(id, { state, reason });
  }
  return out;
}

function tail(file: string, lines = 8): string[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines);
}

/** The latest pretraining step and epoch of a model, from metrics.jsonl. */
function progressOf(metrics: Record<string, unknown>[], model: string): string {
  let step = 0;
  let epoch = 0;
  let probed = false;
  for (const m of metrics) {
    if (m.model !== model) continue;
    if (m.stage === "pretrain" && (m.step as number) > step) [step, epoch] = [m.step as number, m.epoch as number];
    if (m.stage === "probe") probed = true;
  }
  if (probed) return "probed";
  return step > 0 ? `pretraining step ${step}, epoch ${epoch + 1}` : "starting";
}

/** The state of one task from Slurm's view and its record. */
function stateOf(
  queue: { state: string; reason: string } | undefined,
  record: TaskRecord | undefined,
  done: boolean,
): { state: TaskStage; detail: string } {
  const q = queue?.state;
  if (q === "PENDING" || q === "REQUEUED" || q === "REQUEUE_HOLD" || q === "REQUEUE_FED")
    return { state: "queued", detail: `waiting (${queue!.reason})` };
  if (q === "RUNNING" || q === "COMPLETING" || q === "CONFIGURING") return { state: "running", detail: "" };
  if (done || record?.state === "done") return { state: "done", detail: "" };
  if (record?.state === "interrupted")
    return { state: "interrupted", detail: `stopped at step ${record.stoppedAt ?? "?"}, back in the queue` };
  if (q && q !== "COMPLETED")
    return { state: "failed", detail: `${q.toLowerCase()}${record?.error ? `: ${record.error}` : ""}` };
  if (record?.state === "failed") return { state: "failed", detail: record.error ?? "failed" };
  if (record?.state === "running")
    return { state: "failed", detail: "killed while running (time limit, node failure or SIGKILL?)" };
  return { state: "failed", detail: q ? "finished without a record" : "not running and not done (cancelled?)" };
}

/** The status of the study in `runDir` (its last submission). */
export function slurmStatus(runDir: string): SlurmStatus {
  const folder = new RunFolder(path.dirname(path.resolve(runDir)), path.basename(path.resolve(runDir)));
  const submission = folder.readJson<Submission>(path.join("slurm", "jobs.json"));
  if (!submission)
    throw new InputError({
      file: path.join(folder.dir, "slurm", "jobs.json"),
      expected: "a study submitted with --slurm",
      found: "no submission record",
    });
  const ids = submission.jobs.map((j) => j.id);
  const queue = queueStates(ids);
  const metrics = folder.metrics();
  const tasks: TaskStatus[] = [];
  for (const job of submission.jobs) {
    if (job.phase === "models") {
      for (const [index, model] of Object.entries(job.tasks ?? {})) {
        const record = folder.readJson<TaskRecord>(
          path.relative(folder.dir, taskRecordFile(folder.dir, "model", model)),
        );
        const doneFile = submission.work === "probe" ? "probe.json" : "encoder.safetensors";
        const done = fs.existsSync(path.join(folder.dir, "models", model, doneFile)) && record?.state === "done";
        const s = stateOf(queue.get(`${job.id}_${index}`), record, done);
        if (s.state === "running") s.detail = progressOf(metrics, model);
        tasks.push({
          task: model,
          job: `${job.id}_${index}`,
          ...s,
          ...failedLog(s.state, logFile(folder.dir, "models", index)),
        });
      }
    } else {
      const record =
        job.phase === "shared"
          ? folder.readJson<TaskRecord>(path.relative(folder.dir, taskRecordFile(folder.dir, "shared")))
          : undefined;
      const done = job.phase === "final" && finalDone(folder.dir, submission);
      const s = stateOf(queue.get(job.id), record, done);
      tasks.push({ task: job.phase, job: job.id, ...s, ...failedLog(s.state, logFile(folder.dir, job.phase)) });
    }
  }
  const finished =
    tasks.every((t) => t.state === "done") ||
    (tasks.some((t) => t.state === "failed") && tasks.every((t) => t.state === "done" || t.state === "failed"));
  return { run: folder.dir, submitted: submission.submitted, tasks, finished };
}

function failedLog(state: TaskStage, file: string): { log?: string[] } {
  return state === "failed" ? { log: tail(file) } : {};
}

/** What the final job of each stage writes last. */
const FINAL_OUTPUT: Record<string, string> = { probe: "results.csv", external: "external.csv", tsne: "tsne.html" };

/** The final job wrote its output after the submission. */
function finalDone(runDir: string, submission: Submission): boolean {
  const file = path.join(runDir, FINAL_OUTPUT[submission.stage ?? ""] ?? "report.html");
  return fs.existsSync(file) && fs.statSync(file).mtime >= new Date(submission.submitted);
}

/** The status as text: one line per task, and the log tail of failed ones. */
export function statusText(s: SlurmStatus): string {
  const width = Math.max(...s.tasks.map((t) => t.task.length));
  const lines = [`${s.run} (submitted ${s.submitted})`];
  for (const t of s.tasks) {
    lines.push(`  ${t.task.padEnd(width)}  ${t.job.padEnd(10)} ${t.state.padEnd(11)} ${t.detail}`.trimEnd());
    for (const l of t.log ?? []) lines.push(`      | ${l}`);
  }
  return lines.join("\n");
}
