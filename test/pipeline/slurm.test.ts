/**
 * A study on a real Slurm (its own munged, slurmctld and slurmd, started by the test): a tiny 3-model
 * sweep submitted with `--slurm` gives the results.csv of the same sweep run locally, also when one task
 * is stopped mid-pretraining (USR1 to its batch shell, as Slurm does before a time limit), requeued, and
 * resumed from the checkpoint it wrote.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../../src/cli/main";
import { slurmStatus, statusText, Study, submitToSlurm, watchSlurm } from "../../src/pipeline";
import type { TaskRecord } from "../../src/pipeline/slurm/task";
import { startSlurmCluster } from "../support/slurmCluster";
import { tempDir } from "../support/tempDir";

/** Three tiny encoders: 60 synthetic patients, a 2-block ViT on 48 px views, 2 epochs, a checkpoint every 4 steps. */
function sweepConfig(runsDir: string, name: string): Record<string, unknown> {
  return {
    name,
    runsDir,
    seed: 3,
    data: { synth: { patients: 60, imageLongSide: 128 } },
    cohort: { split: { validate: 0.2, test: 0.2, seed: 1 } },
    cacheShortSide: 40,
    pretrain: {
      vit: "tiny",
      dim: 48,
      layers: 2,
      heads: 3,
      imageSize: 48,
      focalSize: 32,
      batchSize: 16,
      epochs: 2,
      numPrototypes: 64,
      checkpointEvery: 4,
    },
    models: [
      { name: "MSN", features: [] },
      { name: "MSN+demographics", features: "socio-norm" },
      { name: "MSN+scan", features: "image_meta" },
    ],
    probe: { maxEpochs: 3, bootstrap: 100 },
    tsne: false,
    slurm: { cpus: 1, signalSeconds: 60 },
  };
}

async function cli(...args: string[]): Promise<number> {
  return main(["node", "ehr-msn", ...args]);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a 3-model sweep on Slurm, one task stopped mid-pretraining and requeued, gives the local results.csv", async (t) => {
  const cluster = await startSlurmCluster();
  if (typeof cluster === "string") {
    t.skip(`no Slurm: ${cluster}`);
    return;
  }
  t.after(() => cluster.stop());
  process.env.SLURM_CONF = cluster.conf; // sbatch, squeue and scancel, here and in the jobs
  const root = tempDir("slurm-sweep");
  const write = (name: string) => {
    const file = path.join(root, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(sweepConfig(root, name)));
    return file;
  };

  assert.equal(await cli("sweep", "--config", write("on-slurm"), "--slurm"), 0);
  const run = path.join(root, "on-slurm");
  const jobs = JSON.parse(fs.readFileSync(path.join(run, "slurm", "jobs.json"), "utf8"));
  assert.deepEqual(
    jobs.jobs.map((j: { phase: string }) => j.phase),
    ["shared", "models", "final"],
  );
  const arrayJob = jobs.jobs[1].id;

  // Stop MSN+demographics (array task 1) a few steps into its pretraining (26 steps).
  const metrics = path.join(run, "metrics.jsonl");
  let stepAtSignal = 0;
  for (let i = 0; i < 1800 && stepAtSignal === 0; i++) {
    const steps = fs.existsSync(metrics)
      ? fs
          .readFileSync(metrics, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l))
          .filter((m) => m.stage === "pretrain" && m.model === "MSN+demographics")
      : [];
    if (steps.length >= 2) stepAtSignal = steps.length;
    else await delay(100);
  }
  assert.ok(stepAtSignal > 0, `task 1 never reached step 2:\n${statusText(slurmStatus(run))}`);
  const signalled = spawnSync("scancel", ["--signal=USR1", "--batch", `${arrayJob}_1`], { encoding: "utf8" });
  assert.equal(signalled.status, 0, signalled.stderr);

  // The local sweep runs while the cluster works (both on this machine's 2 cores).
  assert.equal(await cli("sweep", "--config", write("local")), 0);
  const want = fs.readFileSync(path.join(root, "local", "results.csv"), "utf8");

  const status = await watchSlurm(run, { everySeconds: 1, quiet: true });
  assert.deepEqual(
    status.tasks.map((x) => `${x.task} ${x.state}`),
    ["shared done", "MSN done", "MSN+demographics done", "MSN+scan done", "final done"],
    statusText(status),
  );
  const record: TaskRecord = JSON.parse(
    fs.readFileSync(path.join(run, "slurm", "tasks", "model-MSN+demographics.json"), "utf8"),
  );
  assert.equal(record.restarts, 1, "requeued once");
  assert.ok(
    record.resumedFrom! >= stepAtSignal,
    `resumed from step ${record.resumedFrom}, signalled at ${stepAtSignal}`,
  );
  const log = fs.readFileSync(path.join(run, "slurm", "logs", "model-1.log"), "utf8");
  assert.match(log, new RegExp(`checkpoint at step ${record.resumedFrom}; the job goes back to the queue`));
  assert.match(log, new RegExp(`resuming pretraining from step ${record.resumedFrom}`));
  // Each step was logged once, through the interruption.
  const steps = fs
    .readFileSync(metrics, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((m) => m.stage === "pretrain" && m.model === "MSN+demographics")
    .map((m) => m.step);
  assert.deepEqual(
    steps,
    Array.from({ length: steps.length }, (_, i) => i + 1),
  );

  assert.equal(fs.readFileSync(path.join(run, "results.csv"), "utf8"), want, "the same table as the local sweep");
  assert.ok(fs.existsSync(path.join(run, "report.html")));
  assert.equal(await cli("status", run), 0, "status exits 0 when every task is done");

  // A resubmission finds every model done: the shared and final jobs only, both reusing the run folder.
  const again = Study.open(sweepConfig(root, "on-slurm"));
  const resubmitted = submitToSlurm(again, { stage: "sweep", dryRun: true, log: () => undefined });
  await again.close();
  assert.deepEqual(
    resubmitted.jobs.map((j) => j.phase),
    ["shared", "final"],
  );
});
