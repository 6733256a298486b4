/**
 * What runs inside a Slurm job: the shared stages, or one model's pretraining (resumed from its last
 * checkpoint) and probe. A USR1 or TERM from Slurm stops pretraining at the next step with a checkpoint,
 * and the task exits with `INTERRUPTED_EXIT` so that its batch script requeues it. Each task keeps a
 * record in `slurm/tasks/` (state, host, job, times, error) that `status` reads.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { latestCheckpoint } from "../../train/checkpoint";
import { PretrainInterruptedError } from "../../train/pretrain";
import { InputError } from "../../util/errors";
import { Study } from "../study";
import { lockFolder } from "../folderLock";
import { INTERRUPTED_EXIT } from "./scripts";
import type { ModelWork } from "./submit";

export type TaskState = "running" | "done" | "interrupted" | "failed";

/** `slurm/tasks/<shared | model-NAME>.json`. */
export interface TaskRecord {
  phase: "shared" | "model";
  model?: string;
  state: TaskState;
  job?: string;
  host: string;
  started: string;
  ended?: string;
  /** Times Slurm restarted the job (requeues). */
  restarts: number;
  /** The pretraining step it resumed from, and the one it stopped at when interrupted. */
  resumedFrom?: number;
  stoppedAt?: number;
  error?: string;
}

export interface TaskOptions {
  /** The resolved study config the submission wrote (`slurm/study.json`). */
  config: string;
  phase: "shared" | "model";
  /** The model's index in the config (the array task id). */
  index?: number;
  until?: ModelWork;
}

export function taskRecordFile(runDir: string, phase: "shared" | "model", model?: string): string {
  return path.join(runDir, "slurm", "tasks", phase === "shared" ? "shared.json" : `model-${model}.json`);
}

/** Runs one task; its exit code (0 done, `INTERRUPTED_EXIT` when stopped by a signal). Other failures throw. */
export async function runSlurmTask(options: TaskOptions): Promise<number> {
  // The tasks of an array share the run folder: each locks its model's folder, not the whole run.
  const study = Study.open(JSON.parse(fs.readFileSync(options.config, "utf8")), options.config, { lockFolder: false });
  const model = options.phase === "model" ? modelAt(study, options.index) : undefined;
  const record: TaskRecord = {
    phase: options.phase,
    ...(model ? { model } : {}),
    state: "running",
    ...(process.env.SLURM_JOB_ID ? { job: process.env.SLURM_JOB_ID } : {}),
    host: os.hostname(),
    started: new Date().toISOString(),
    restarts: Number(process.env.SLURM_RESTART_COUNT ?? 0),
  };
  const recordFile = path.relative(study.folder.dir, taskRecordFile(study.folder.dir, options.phase, model));
  const save = (patch: Partial<TaskRecord>) => study.folder.writeJson(recordFile, Object.assign(record, patch));
  save({});
  const stop = new AbortController();
  let pretraining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    console.log(`${signal}: stopping${pretraining ? " after this step, with a checkpoint" : ""}`);
    stop.abort();
    // Outside pretraining every stage is cached by whole files: stopping at once loses nothing.
    if (!pretraining) {
      save({ state: "interrupted", ended: new Date().toISOString() });
      process.exit(INTERRUPTED_EXIT);
    }
  };
  process.on("SIGUSR1", onSignal);
  process.on("SIGTERM", onSignal);
  const lock = model
    ? lockFolder(study.folder.folder(path.join("models", model)), "Wait for that task to finish.")
    : undefined;
  try {
    if (!model) {
      await study.cache();
      console.log("shared stages done: data, cohort, image cache");
    } else {
      const checkpoint = latestCheckpoint(study.folder.folder(path.join("models", model)));
      const resumedFrom = checkpoint ? Number(/(\d+)$/.exec(checkpoint)![1]) : 0;
      if (checkpoint) console.log(`${model}: resuming pretraining from step ${resumedFrom}`);
      save({ resumedFrom });
      pretraining = true;
      await study.encoder(model, undefined, stop.signal);
      pretraining = false;
      if (options.until !== "pretrain") await study.probe(model);
      console.log(`${model}: done`);
    }
    save({ state: "done", ended: new Date().toISOString() });
    return 0;
  } catch (e) {
    if (e instanceof PretrainInterruptedError) {
      console.log(`${model}: checkpoint at step ${e.step}; the job goes back to the queue`);
      save({ state: "interrupted", stoppedAt: e.step, ended: new Date().toISOString() });
      return INTERRUPTED_EXIT;
    }
    save({ state: "failed", error: e instanceof Error ? e.message : String(e), ended: new Date().toISOString() });
    throw e;
  } finally {
    lock?.release();
    process.removeListener("SIGUSR1", onSignal);
    process.removeListener("SIGTERM", onSignal);
    await study.close();
  }
}

function modelAt(study: Study, index: number | undefined): string {
  const models = study.config.models;
  if (index === undefined || !Number.isInteger(index) || index < 0 || index >= models.length)
    throw new InputError({
      field: "--index",
      expected: `a model index in 0..${models.length - 1} (the array task id)`,
      found: String(index),
    });
  return models[index].name;
}
