/**
 * The batch scripts of a study on Slurm: one job for the shared stages, a job array with one task per
 * model, and a final job for the tables and the report. Dependencies are given to `sbatch`, not written
 * here, so that `--dry-run` prints exactly what would be submitted.
 */
import * as path from "path";
import type { SlurmOptions } from "./options";

export type JobPhase = "shared" | "models" | "final";

/** Exit code of a task that stopped on a signal after checkpointing: the job goes back to the queue. */
export const INTERRUPTED_EXIT = 3;

export interface ScriptInputs {
  /** The run folder and its name (job names, logs). */
  runDir: string;
  runName: string;
  /** The resolved study config every job reads. */
  configFile: string;
  /** How a job starts the command line: the node binary and ehr-msn's main script. */
  cli: string[];
  /** Working folder of the jobs (relative paths of the config resolve from it). */
  cwd: string;
  slurm: SlurmOptions;
}

export interface JobScript {
  phase: JobPhase;
  /** The log file, with Slurm's `%a` for the array task. */
  log: string;
  text: string;
}

/** Quotes a word for bash; `$NAME` stays a variable the job expands. */
export function shellQuote(word: string): string {
  if (/^\$[A-Z_]+$/.test(word)) return `"${word}"`;
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The log of a phase (the array task's index for `models`). */
export function logFile(runDir: string, phase: JobPhase, task?: number | string): string {
  return path.join(runDir, "slurm", "logs", phase === "models" ? `model-${task ?? "%a"}.log` : `${phase}.log`);
}

/**
 * One batch script: `args` after the CLI, with the `#SBATCH` lines of the config. The task runs as a child
 * of the batch shell, which is what Slurm signals (`--signal=B:...`): USR1 (before the time limit, or
 * `scancel --signal=USR1 --batch`) makes the task checkpoint and exit, then the shell requeues the job,
 * which resumes from that checkpoint; TERM (preemption, scancel) also checkpoints, and Slurm decides.
 */
export function jobScript(inputs: ScriptInputs, phase: JobPhase, args: string[], array?: string): JobScript {
  const s = inputs.slurm;
  const log = logFile(inputs.runDir, phase);
  const sbatch = [
    `--job-name=ehr-msn-${inputs.runName}-${phase}`,
    `--output=${log}`,
    "--open-mode=append",
    `--cpus-per-task=${s.cpus}`,
    ...(array !== undefined ? [`--array=${array}`] : []),
    ...(s.partition ? [`--partition=${s.partition}`] : []),
    ...(s.account ? [`--account=${s.account}`] : []),
    ...(s.time ? [`--time=${s.time}`] : []),
    ...(s.mem ? [`--mem=${s.mem}`] : []),
    ...(phase === "models" && s.gpus > 0 ? [`--gres=gpu:${s.gpus}`] : []),
    ...(s.requeue ? ["--requeue", `--signal=B:USR1@${s.signalSeconds}`] : ["--no-requeue"]),
    ...s.extra,
  ];
  const command = [...inputs.cli, ...args].map(shellQuote).join(" ");
  const requeue = s.requeue
    ? [
        `trap 'kill -USR1 "$child" 2>/dev/null; wait "$child"; code=$?; [ "$code" -eq 0 ] && exit 0;` +
          ` [ "$code" -eq ${INTERRUPTED_EXIT} ] && scontrol requeue "$SLURM_JOB_ID"; exit "$code"' USR1`,
      ]
    : [];
  const text = [
    "#!/bin/bash",
    ...sbatch.map((o) => `#SBATCH ${o}`),
    "set -u",
    "export EHR_MSN_QUIET=1",
    `cd ${shellQuote(inputs.cwd)}`,
    `echo "[$(date -u +%FT%TZ)] ${phase} task \${SLURM_ARRAY_TASK_ID:-} of job $SLURM_JOB_ID on $(hostname -s), restart \${SLURM_RESTART_COUNT:-0}"`,
    `${command} &`,
    "child=$!",
    ...requeue,
    `trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM`,
    'wait "$child"',
    "",
  ].join("\n");
  return { phase, log, text };
}
