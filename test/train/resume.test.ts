/**
 * Checkpoints: a run killed with SIGKILL at a random moment and resumed reaches exactly the weights
 * of an uninterrupted run; corrupt and mismatched checkpoints are refused with the reason; a NaN
 * loss stops the run and keeps the last good checkpoint.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { listCheckpoints, readCheckpoint } from "../../src/train/checkpoint";
import { pretrainOnSource, PretrainInterruptedError, TrainingDivergedError } from "../../src/train/pretrain";
import { InputError } from "../../src/util/errors";
import { RESUME_RUN, RESUME_SOURCE } from "./resumeRun";
import { flatState, syntheticSource, TINY } from "./support";
import { tempDir } from "../support/tempDir";

let root: string;

before(async () => {
  await backend.init({ quiet: true });
  root = tempDir("resume");
});

/** Runs the child until it has printed `killAfter` steps, waits `delayMs`, then SIGKILLs it. */
function runAndKill(dir: string, killAfter: number, delayMs: number): Promise<{ lastStep: number; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "resumeChild.js"), dir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let lastStep = 0;
    let finished = false;
    let err = "";
    let out = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      out += d;
      const steps = [...out.matchAll(/step (\d+)/g)];
      if (steps.length) lastStep = Number(steps[steps.length - 1][1]);
      if (/done/.test(out)) finished = true;
      if (lastStep >= killAfter && !child.killed) setTimeout(() => child.kill("SIGKILL"), delayMs);
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL" || code === 0) resolve({ lastStep, finished });
      else reject(new Error(`child exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

test("a run killed with SIGKILL at a random moment and resumed reaches the weights of an uninterrupted run", async () => {
  const reference = await pretrainOnSource(RESUME_RUN, syntheticSource(RESUME_SOURCE), {
    dir: path.join(root, "ref"),
    quiet: true,
  });
  const want = flatState(reference.model.state());
  const wantHistory = reference.history;
  reference.model.dispose();

  const dir = path.join(root, "killed");
  const killAfter = 1 + Math.floor(Math.random() * 12); // of 16 steps: the child never finishes first
  const delayMs = Math.floor(Math.random() * 40);
  const killed = await runAndKill(dir, killAfter, delayMs);
  const survivors = listCheckpoints(dir).map((d) => path.basename(d));
  console.log(
    `  killed after step ${killed.lastStep} (+${delayMs} ms); checkpoints left: ${survivors.join(", ") || "none"}`,
  );
  assert.ok(!killed.finished, "the child was killed before the end");

  const resumed = await pretrainOnSource(RESUME_RUN, syntheticSource(RESUME_SOURCE), {
    dir,
    resume: true,
    quiet: true,
  });
  assert.equal(resumed.resumedFrom, survivors.length ? Number(survivors.at(-1)!.slice(5)) : 0);
  const got = flatState(resumed.model.state());
  let differ = 0;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) differ++;
  assert.equal(differ, 0, `${differ} of ${want.length} weights differ from the uninterrupted run`);
  assert.deepEqual(resumed.history, wantHistory);
  assert.ok(fs.existsSync(path.join(dir, "encoder.safetensors")));
  assert.ok(listCheckpoints(dir).length <= 2, "old checkpoints are pruned");
  resumed.model.dispose();
});

test("a run stopped through its signal checkpoints the step it stopped at and resumes to the uninterrupted weights", async () => {
  const reference = await pretrainOnSource(RESUME_RUN, syntheticSource(RESUME_SOURCE), { quiet: true });
  const want = flatState(reference.model.state());
  reference.model.dispose();
  const dir = path.join(root, "signalled");
  const stop = new AbortController();
  // Step 5 is between two periodic checkpoints (every 3 steps): only the stop writes one there.
  const onStep = (s: { step: number }) => void (s.step === 5 && stop.abort());
  await assert.rejects(
    pretrainOnSource(RESUME_RUN, syntheticSource(RESUME_SOURCE), {
      dir,
      quiet: true,
      signal: stop.signal,
      callbacks: { onStep },
    }),
    (e: unknown) => e instanceof PretrainInterruptedError && e.step === 5 && /step-0*5$/.test(e.checkpoint ?? ""),
  );
  const resumed = await pretrainOnSource(RESUME_RUN, syntheticSource(RESUME_SOURCE), {
    dir,
    resume: true,
    quiet: true,
  });
  assert.equal(resumed.resumedFrom, 5);
  assert.deepEqual(flatState(resumed.model.state()), want);
  resumed.model.dispose();
});

test("a corrupt checkpoint is refused with the reason", async () => {
  const dir = path.join(root, "corrupt");
  const run = { ...TINY, epochs: 1, checkpointEvery: 2 };
  (await pretrainOnSource(run, syntheticSource(), { dir, quiet: true })).model.dispose();
  const last = listCheckpoints(dir).at(-1)!;
  const file = path.join(last, "model.safetensors");
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 5] ^= 0xff;
  fs.writeFileSync(file, bytes);
  await assert.rejects(
    pretrainOnSource(run, syntheticSource(), { dir, resume: true, quiet: true }),
    (e: unknown) =>
      e instanceof InputError &&
      e.message.includes(last) &&
      /model\.safetensors with the SHA-256 recorded/.test(e.message) &&
      /corrupt/.test(e.message),
  );
  fs.rmSync(path.join(last, "state.json"));
  await assert.rejects(
    pretrainOnSource(run, syntheticSource(), { dir, resume: true, quiet: true }),
    /expected a readable state\.json/,
  );
});

test("a checkpoint of another configuration or other data is refused, naming what differs", async () => {
  const dir = path.join(root, "mismatch");
  const run = { ...TINY, epochs: 1, checkpointEvery: 2 };
  (await pretrainOnSource(run, syntheticSource(), { dir, quiet: true })).model.dispose();
  await assert.rejects(
    pretrainOnSource({ ...run, lr: 5e-4, layers: 3 }, syntheticSource(), { dir, resume: true, quiet: true }),
    (e: unknown) =>
      e instanceof InputError &&
      /layers 2 there but 3 now/.test(e.message) &&
      /lr 0\.001 there but 0\.0005 now/.test(e.message),
  );
  await assert.rejects(
    pretrainOnSource(run, syntheticSource({ seed: 9 }), { dir, resume: true, quiet: true }),
    /expected a checkpoint of a run on this data \(synthetic\(images=32, seed=9\)\), found one on synthetic\(images=32, seed=1\)/,
  );
  // A new run (no resume) in a folder with checkpoints is refused rather than mixed with them.
  await assert.rejects(
    pretrainOnSource(run, syntheticSource(), { dir, quiet: true }),
    /dir: expected a folder without checkpoints for a new run, found checkpoints of an earlier run/,
  );
  // The right configuration resumes; checkpointEvery may change.
  const ok = await pretrainOnSource({ ...run, checkpointEvery: 1 }, syntheticSource(), {
    dir,
    resume: true,
    quiet: true,
  });
  assert.equal(ok.resumedFrom, 4);
  ok.model.dispose();
});

test("a NaN loss stops the run with a message and keeps the last good checkpoint", async () => {
  const dir = path.join(root, "nan");
  const run = { ...TINY, epochs: 2, checkpointEvery: 2 };
  await assert.rejects(
    pretrainOnSource(run, syntheticSource({ nanFrom: 5 }), { dir, quiet: true }),
    (e: unknown) =>
      e instanceof TrainingDivergedError &&
      e.step === 5 &&
      Number.isNaN(e.loss) &&
      /stopped at step 6: the loss is NaN/.test(e.message) &&
      e.checkpoint !== undefined &&
      e.message.includes(e.checkpoint),
  );
  const left = listCheckpoints(dir);
  assert.deepEqual(
    left.map((d) => path.basename(d)),
    ["step-00000002", "step-00000004"],
  );
  const c = readCheckpoint(left[1]);
  assert.ok(c.history.loss.every(Number.isFinite));
  for (const t of c.model.values()) assert.ok(t.data.every(Number.isFinite));
});
