/**
 * Submits a study to Slurm: the shared stages (data, cohort, image cache) as one job, then a job array
 * with one task per unfinished model (pretraining, then its embeddings and probe) that starts when the
 * shared job succeeded, then the stage's own command (tables, report) once every task succeeded.
 * Each stage is cached in the run folder, so a resubmitted study skips what is done.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../../util/errors";
import { writeJsonAtomic } from "../../util/atomicWrite";
import type { Study } from "../study";
import { JobPhase, jobScript, JobScript, ScriptInputs } from "./scripts";

/** What the model tasks do: pretraining only (`ehr-msn pretrain --slurm`) or also the probe. */
export type ModelWork = "pretrain" | "probe";

export interface SubmitOptions {
  /** The CLI stage the final job runs once every model is done ("report", "sweep", "probe", ...); none for pretraining alone. */
  stage?: string;
  /** Print the scripts and the sbatch commands instead of submitting. */
  dryRun?: boolean;
  /** How a job starts ehr-msn (default: this node binary and this package's CLI). */
  cli?: string[];
  /** Where messages go (default console.log). */
  log?: (line: string) => void;
}

export interface SubmittedJob {
  phase: JobPhase;
  /** Slurm's job id ("dry-run" when not submitted). */
  id: string;
  /** The models of the array, by task index. */
  tasks?: Record<string, string>;
  dependsOn?: string;
  script: string;
}

/** `slurm/jobs.json` of the run folder: what was submitted, for `status`. */
export interface Submission {
  submitted: string;
  stage?: string;
  work: ModelWork;
  jobs: SubmittedJob[];
}

/** The CLI of this package, as a job runs it. */
function defaultCli(): string[] {
  // Not an import: the job runs the command line, which sits above this layer.
  return [process.execPath, path.resolve(__dirname, "..", "..", "cli", "main.js")];
}

/** The models whose work is not in the run folder yet, with their index in the config. */
export function unfinishedModels(study: Study, work: ModelWork): Record<string, string> {
  const out: Record<string, string> = {};
  study.config.models.forEach((m, i) => {
    const done = path.join(study.folder.dir, "models", m.name, work === "probe" ? "probe.json" : "encoder.safetensors");
    if (!fs.existsSync(done)) out[String(i)] = m.name;
  });
  return out;
}

/** Runs sbatch on a script; its job id. */
function sbatch(script: string, dependsOn: string | undefined): string {
  const args = ["--parsable", ...(dependsOn ? [`--dependency=afterok:${dependsOn}`, "--kill-on-invalid-dep=yes"] : [])];
  const r = spawnSync("sbatch", [...args, script], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new InputError({
      file: script,
      expected: "a job Slurm accepts",
      found: r.error ? `no sbatch (${r.error.message})` : `sbatch: ${r.stderr.trim()}`,
      hint: r.error ? "Run this on a Slurm login node, or use --dry-run." : "Check the `slurm:` section of the config.",
    });
  }
  return r.stdout.trim().split(";")[0];
}

/** Writes the scripts into `<run>/slurm/`, submits them in order with their dependencies, records them. */
export function submitToSlurm(study: Study, options: SubmitOptions = {}): Submission {
  const log = options.log ?? console.log;
  const dir = study.folder.folder("slurm");
  fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
  const configFile = path.join(dir, "study.json");
  const inputs: ScriptInputs = {
    runDir: study.folder.dir,
    runName: study.config.name,
    configFile,
    cli: options.cli ?? defaultCli(),
    cwd: process.cwd(),
    slurm: study.config.slurm,
  };
  const work: ModelWork = options.stage === undefined || options.stage === "pretrain" ? "pretrain" : "probe";
  const tasks = unfinishedModels(study, work);
  const config = ["--config", configFile];
  const plan: { script: JobScript; tasks?: Record<string, string> }[] = [
    { script: jobScript(inputs, "shared", ["slurm-task", "shared", ...config]) },
  ];
  if (Object.keys(tasks).length > 0) {
    const args = ["slurm-task", "model", ...config, "--until", work, "--index", "$SLURM_ARRAY_TASK_ID"];
    plan.push({ script: jobScript(inputs, "models", args, Object.keys(tasks).join(",")), tasks });
  }
  if (work === "probe") plan.push({ script: jobScript(inputs, "final", [options.stage!, ...config]) });

  if (!options.dryRun) writeJsonAtomic(configFile, study.config);
  const jobs: SubmittedJob[] = [];
  for (const { script, tasks: t } of plan) {
    const file = path.join(dir, `${script.phase}.sh`);
    const dependsOn = jobs.at(-1)?.id;
    if (options.dryRun) {
      const dep = dependsOn ? ` --dependency=afterok:<${jobs.at(-1)!.phase} job> --kill-on-invalid-dep=yes` : "";
      log(`# sbatch --parsable${dep} ${file}\n${script.text}`);
      jobs.push({ phase: script.phase, id: "dry-run", tasks: t, dependsOn, script: file });
      continue;
    }
    fs.writeFileSync(file, script.text, { mode: 0o755 });
    const id = sbatch(file, dependsOn);
    log(`${script.phase}: job ${id}${t ? ` (${Object.keys(t).length} tasks: ${Object.values(t).join(", ")})` : ""}`);
    jobs.push({ phase: script.phase, id, tasks: t, dependsOn, script: file });
  }
  const submission: Submission = { submitted: new Date().toISOString(), stage: options.stage, work, jobs };
  if (!options.dryRun) writeJsonAtomic(path.join(dir, "jobs.json"), submission);
  return submission;
}
