/** The pretraining loop on synthetic data: it learns, it is repeatable, it does not leak tensors. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { load } from "../../src/model/load";
import { pretrainOnSource } from "../../src/train/pretrain";
import { InputError } from "../../src/util/errors";
import { flatState, syntheticSource, TINY } from "./support";
import { tempDir } from "../support/tempDir";

before(async () => {
  await backend.init({ quiet: true });
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test("300 steps on a tiny EHR-MSN lower the loss; tf.memory().numTensors is the same after step 2 and step 200", async () => {
  const counts = new Map<number, number>();
  const steps: number[] = [];
  const r = await pretrainOnSource({ ...TINY, epochs: 75 }, syntheticSource({ ehrFeatures: ["a", "b", "c"] }), {
    quiet: true,
    callbacks: {
      onStep: ({ step }) => {
        steps.push(step);
        if (step === 2 || step === 200) counts.set(step, tf.memory().numTensors);
      },
    },
  });
  assert.equal(r.history.loss.length, 300);
  assert.deepEqual(
    steps,
    Array.from({ length: 300 }, (_, i) => i + 1),
  );
  const first = mean(r.history.loss.slice(0, 20));
  const last = mean(r.history.loss.slice(-20));
  console.log(
    `  loss ${first.toFixed(3)} -> ${last.toFixed(3)} in ${r.seconds.toFixed(1)} s (${r.imagesPerSecond.toFixed(0)} images/s)`,
  );
  assert.ok(first > 2.5, `the initial loss is near log K = ${Math.log(16).toFixed(2)} or above: ${first}`);
  assert.ok(last < first - 0.3, `the loss went from ${first} to ${last}`);
  assert.equal(
    counts.get(200),
    counts.get(2),
    `tensors after step 2: ${counts.get(2)}, after step 200: ${counts.get(200)}`,
  );
  // The target encoder moved (EMA) but kept its frozen-prototype model intact.
  const model = r.model;
  assert.notEqual(model.target.fingerprint(), model.anchor.fingerprint());
  r.model.dispose();
});

test("the same seed gives the same weights; another seed different ones; frozen prototypes never change", async () => {
  const run = { ...TINY, epochs: 1 };
  const a = await pretrainOnSource(run, syntheticSource(), { quiet: true });
  const b = await pretrainOnSource(run, syntheticSource(), { quiet: true });
  const c = await pretrainOnSource({ ...run, seed: 4 }, syntheticSource(), { quiet: true });
  assert.deepEqual(flatState(a.model.state()), flatState(b.model.state()));
  assert.notDeepEqual(flatState(a.model.state()), flatState(c.model.state()));
  const initial = (await import("../../src/model/msn")).MsnModel;
  const fresh = new initial({
    vit: { dim: 16, layers: 2, heads: 2, patch: 4, imageSize: 16 },
    numPrototypes: 16,
    projHidden: 32,
    projOut: 16,
    seed: 3,
  });
  assert.deepEqual(a.model.prototypes.dataSync(), fresh.prototypes.dataSync());
  [a, b, c].forEach((r) => r.model.dispose());
  fresh.dispose();
});

test("trainable prototypes (MSN) change; the msn preset runs end to end", async () => {
  const r = await pretrainOnSource(
    { ...TINY, epochs: 1, preset: "msn", warmupEpochs: 0, projHidden: 32, projOut: 16 },
    syntheticSource(),
    { quiet: true },
  );
  const fresh = new (await import("../../src/model/msn")).MsnModel({
    vit: { dim: 16, layers: 2, heads: 2, patch: 4, imageSize: 16 },
    numPrototypes: 16,
    projHidden: 32,
    projOut: 16,
    projHiddenBias: true,
    seed: 3,
  });
  assert.notDeepEqual(r.model.prototypes.dataSync(), fresh.prototypes.dataSync());
  assert.ok(r.history.loss.every(Number.isFinite));
  // Per-step schedule: the learning rate changes within the epoch.
  assert.notEqual(r.history.lr[0], r.history.lr[1]);
  r.model.dispose();
  fresh.dispose();
});

test("gradient accumulation averages the micro-batch gradients: 2 identical micro-batches step like 1", async () => {
  const src = syntheticSource({ images: 8 });
  const twice = { ...src, batchesPerEpoch: 2, batch: (e: number) => src.batch(e, 0) };
  const run = { ...TINY, epochs: 1, maskRatio: 0 };
  const one = await pretrainOnSource(run, { ...src, batchesPerEpoch: 1 }, { quiet: true });
  const two = await pretrainOnSource({ ...run, accumulate: 2 }, twice, { quiet: true });
  assert.equal(two.history.loss.length, 1);
  const a = flatState(one.model.state());
  const b = flatState(two.model.state());
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 1e-7, `largest difference ${worst}`);
  one.model.dispose();
  two.model.dispose();
});

test("the run folder gets the exported encoder (loadable, equal to the target encoder) and the history; the encoder fine-tunes", async () => {
  const dir = tempDir("pretrain");
  const r = await pretrainOnSource({ ...TINY, epochs: 1 }, syntheticSource(), { dir, quiet: true });
  const enc = load(r.encoderFile!);
  assert.equal(enc.fingerprint(), r.encoder.fingerprint());
  assert.equal(enc.config.heads, 2);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "history.json"), "utf8")), r.history);
  // The target encoder can be fine-tuned as it is: every weight gets a gradient.
  const x = tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const { value, grads } = tf.variableGrads(
    () => tf.tidy(() => r.encoder.forward(x).square().mean() as tf.Scalar),
    r.encoder.variables(),
  );
  assert.equal(Object.keys(grads).length, r.encoder.variables().length);
  tf.dispose([x, value, ...Object.values(grads)]);
  enc.dispose();
  r.model.dispose();
});

test("ehrIn must match the data's EHR features; batches must match the configured views", async () => {
  await assert.rejects(
    pretrainOnSource({ ...TINY, ehrIn: 2 }, syntheticSource({ ehrFeatures: ["a", "b", "c"] }), { quiet: true }),
    (e: unknown) =>
      e instanceof InputError &&
      /ehrIn: expected 3, the number of EHR features of the data \(a, b, c\), found 2/.test(e.message),
  );
  await assert.rejects(
    pretrainOnSource({ ...TINY, focalViews: 3 }, syntheticSource(), { quiet: true }),
    /batch\.focal: expected \[24,8,8,3\] \(view-major\), found shape \[16,8,8,3\]/,
  );
  await assert.rejects(
    pretrainOnSource({ ...TINY, imageSize: 20 }, syntheticSource(), { quiet: true }),
    /batch\.target: expected \[8,20,20,3\]/,
  );
  await assert.rejects(
    pretrainOnSource(TINY, syntheticSource(), { resume: true, quiet: true }),
    /resume: expected a run folder/,
  );
});
