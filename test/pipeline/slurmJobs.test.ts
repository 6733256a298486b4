import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Study, submitToSlurm } from "../../src/pipeline";
import { isStale, lockFolder } from "../../src/pipeline/folderLock";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

const root = tempDir("slurm-jobs");

function study(slurm: Record<string, unknown>): Study {
  return Study.open({
    name: "jobs",
    runsDir: root,
    models: [
      { name: "MSN", features: [] },
      { name: "MSN+sex", features: "sex" },
      { name: "MSN+age", features: "age_norm" },
    ],
    slurm,
  });
}

test("--dry-run prints the shared job, an array of the unfinished models and the final job, with the config's #SBATCH lines", () => {
  const s = study({ partition: "gpu", account: "lab", time: "4:00:00", gpus: 1, mem: "32G", extra: ["--qos=long"] });
  // MSN's probe is in the run folder already: a resubmission leaves it out of the array.
  fs.mkdirSync(path.join(s.folder.dir, "models", "MSN"), { recursive: true });
  fs.writeFileSync(path.join(s.folder.dir, "models", "MSN", "probe.json"), "{}");
  const printed: string[] = [];
  const sub = submitToSlurm(s, {
    stage: "sweep",
    dryRun: true,
    cli: ["node", "/opt/ehr msn/main.js"],
    log: (l) => printed.push(l),
  });
  assert.deepEqual(
    sub.jobs.map((j) => [j.phase, j.tasks]),
    [
      ["shared", undefined],
      ["models", { 1: "MSN+sex", 2: "MSN+age" }],
      ["final", undefined],
    ],
  );
  assert.equal(printed.length, 3);
  const [shared, models, final] = printed;
  const config = path.join(s.folder.dir, "slurm", "study.json");
  assert.match(
    shared,
    new RegExp(`^# sbatch --parsable ${path.join(s.folder.dir, "slurm", "shared.sh")}\n#!/bin/bash\n`),
  );
  assert.match(shared, /#SBATCH --partition=gpu\n#SBATCH --account=lab\n#SBATCH --time=4:00:00\n#SBATCH --mem=32G\n/);
  assert.doesNotMatch(shared, /gres/, "the shared stages run on CPUs");
  assert.match(models, /^# sbatch --parsable --dependency=afterok:<shared job> --kill-on-invalid-dep=yes /);
  assert.match(models, /#SBATCH --array=1,2\n/);
  assert.match(models, /#SBATCH --gres=gpu:1\n#SBATCH --requeue\n#SBATCH --signal=B:USR1@300\n#SBATCH --qos=long\n/);
  assert.match(models, new RegExp(`#SBATCH --output=${path.join(s.folder.dir, "slurm", "logs")}/model-%a\\.log\n`));
  assert.ok(
    models.includes(
      `node '/opt/ehr msn/main.js' slurm-task model --config ${config} --until probe --index "$SLURM_ARRAY_TASK_ID" &`,
    ),
    models,
  );
  assert.match(models, /scontrol requeue "\$SLURM_JOB_ID"/);
  assert.match(final, /--dependency=afterok:<models job>/);
  assert.ok(final.includes(`node '/opt/ehr msn/main.js' sweep --config ${config} &`));
  assert.equal(
    fs.existsSync(path.join(s.folder.dir, "slurm", "jobs.json")),
    false,
    "a dry run submits and records nothing",
  );
  // Each script is valid bash.
  for (const text of printed) assert.equal(spawnSync("bash", ["-n"], { input: text }).status, 0, text);
});

test("pretraining alone: no final job; without requeue, no signal and no requeue in the script", () => {
  const printed: string[] = [];
  const sub = submitToSlurm(study({ requeue: false }), {
    stage: "pretrain",
    dryRun: true,
    log: (l) => printed.push(l),
  });
  assert.deepEqual(
    sub.jobs.map((j) => j.phase),
    ["shared", "models"],
  );
  assert.match(printed[1], /#SBATCH --no-requeue\n/);
  assert.match(printed[1], /--until pretrain/);
  assert.doesNotMatch(printed[1], /--signal|scontrol requeue/);
});

test("a folder lock names its live holder, and is taken over from a dead process or the same Slurm job", () => {
  const dir = path.join(root, "locked");
  const lock = lockFolder(dir);
  assert.equal(lockFolder(dir), lock, "this process taking its own lock again gets the same lock");
  lock.release();
  assert.equal(fs.existsSync(path.join(dir, "lock.json")), false);
  // Another live process (the test runner) holding it, under a Slurm job that is not ours.
  const other = { pid: process.ppid, host: os.hostname(), job: "41", started: "2026-12-04T10:00:00.000Z" };
  fs.writeFileSync(path.join(dir, "lock.json"), JSON.stringify(other));
  assert.throws(
    () => lockFolder(dir, "Wait for that task to finish."),
    (e: unknown) =>
      e instanceof InputError &&
      (e as Error).message.includes(
        `it is in use by process ${process.ppid} on ${os.hostname()} (Slurm job 41) since 2026-12-04T10:00:00.000Z. Wait for that task to finish.`,
      ),
  );
  fs.rmSync(path.join(dir, "lock.json"));

  const dead = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
  const host = os.hostname();
  const started = new Date().toISOString();
  assert.equal(isStale({ pid: Number(dead.stdout), host, started }), true, "a dead pid on this host");
  assert.equal(isStale({ pid: process.pid, host, started }), false, "a live pid on this host");
  assert.equal(isStale({ pid: 1, host: "elsewhere", started }), false, "another host: cannot tell, so live");
  assert.equal(isStale({ pid: 1, host: "elsewhere", job: "77", started }, { pid: 2, host, job: "77", started }), true);
  fs.writeFileSync(path.join(dir, "lock.json"), JSON.stringify({ pid: Number(dead.stdout), host, started }));
  const taken = lockFolder(dir);
  assert.equal(JSON.parse(fs.readFileSync(taken.file, "utf8")).pid, process.pid);
  taken.release();
});
