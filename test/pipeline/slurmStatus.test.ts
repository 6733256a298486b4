import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { slurmStatus, statusText } from "../../src/pipeline";
import { tempDir } from "../support/tempDir";

/**
 * A run folder as a submission leaves it (jobs.json, task records, metrics, logs) and a stand-in `squeue`
 * on PATH that prints what Slurm would: the status of each task from both.
 */
test("status: queued with Slurm's reason, running with step and epoch, done, interrupted, failed with its log's last lines", () => {
  const run = path.join(tempDir("slurm-status"), "sweep");
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(run, file)), { recursive: true });
    fs.writeFileSync(path.join(run, file), text);
  };
  const models = { 0: "MSN", 1: "MSN+sex", 2: "MSN+age", 3: "MSN+view", 4: "MSN+ICU" };
  write(
    "slurm/jobs.json",
    JSON.stringify({
      submitted: "2026-12-04T10:00:00.000Z",
      stage: "sweep",
      work: "probe",
      jobs: [
        { phase: "shared", id: "40", script: "" },
        { phase: "models", id: "41", tasks: models, script: "" },
        { phase: "final", id: "42", script: "" },
      ],
    }),
  );
  const record = (name: string, state: string, extra: object = {}) =>
    write(
      `slurm/tasks/${name}.json`,
      JSON.stringify({ phase: "model", state, host: "n1", started: "", restarts: 0, ...extra }),
    );
  write(
    "slurm/tasks/shared.json",
    JSON.stringify({ phase: "shared", state: "done", host: "n1", started: "", restarts: 0 }),
  );
  record("model-MSN", "done");
  write("models/MSN/probe.json", "{}");
  record("model-MSN+sex", "running");
  record("model-MSN+age", "interrupted", { stoppedAt: 7 });
  record("model-MSN+ICU", "failed", { error: "out of memory" });
  write("slurm/logs/model-4.log", Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join("\n") + "\n");
  write(
    "metrics.jsonl",
    [1, 2, 3]
      .map((s) => JSON.stringify({ stage: "pretrain", model: "MSN+sex", step: s, epoch: s > 2 ? 1 : 0 }))
      .join("\n") + "\n",
  );
  const bin = tempDir("slurm-bin");
  fs.writeFileSync(
    path.join(bin, "squeue"),
    "#!/bin/sh\nprintf '41_1|RUNNING|None\\n41_2|PENDING|BeginTime\\n41_3|PENDING|Priority\\n42|PENDING|Dependency\\n'\n",
    { mode: 0o755 },
  );
  const PATH = process.env.PATH;
  process.env.PATH = `${bin}:${PATH}`;
  try {
    const s = slurmStatus(run);
    assert.deepEqual(
      s.tasks.map((t) => [t.task, t.job, t.state, t.detail]),
      [
        ["shared", "40", "done", ""],
        ["MSN", "41_0", "done", ""],
        ["MSN+sex", "41_1", "running", "pretraining step 3, epoch 2"],
        ["MSN+age", "41_2", "queued", "waiting (BeginTime)"],
        ["MSN+view", "41_3", "queued", "waiting (Priority)"],
        ["MSN+ICU", "41_4", "failed", "out of memory"],
        ["final", "42", "queued", "waiting (Dependency)"],
      ],
    );
    assert.deepEqual(s.tasks[5].log, [
      "line 5",
      "line 6",
      "line 7",
      "line 8",
      "line 9",
      "line 10",
      "line 11",
      "line 12",
    ]);
    assert.equal(s.finished, false);
    assert.match(statusText(s), /\n {2}MSN\+ICU {3}41_4 {7}failed {6}out of memory\n {6}\| line 5\n/);

    // Slurm has forgotten the jobs: the records speak; an interrupted task out of the queue stays interrupted.
    fs.writeFileSync(
      path.join(bin, "squeue"),
      "#!/bin/sh\necho 'slurm_load_jobs error: Invalid job id specified' >&2\nexit 1\n",
    );
    const later = slurmStatus(run);
    assert.deepEqual(
      later.tasks.map((t) => t.state),
      ["done", "done", "failed", "interrupted", "failed", "failed", "failed"],
    );
    assert.match(later.tasks[2].detail, /^killed while running/);
  } finally {
    process.env.PATH = PATH;
  }
});
