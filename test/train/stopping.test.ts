/**
 * The kept encoder (`keepEncoder: "lowest-loss"`) and early stopping (`earlyStopping`) on scripted
 * losses, every expected epoch worked out by hand from Lightning's rules (ModelCheckpoint on
 * train_loss, mode min; EarlyStopping(patience, min_delta), mode min).
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { load } from "../../src/model/load";
import { vit } from "../../src/model/vit";
import { keptEncoderFile } from "../../src/train/checkpoint";
import { pretrainConfig, RUN_DEFINING, type PretrainConfig } from "../../src/train/config";
import { trainLoop, PretrainInterruptedError } from "../../src/train/loop";
import type { TrainingMethod } from "../../src/train/method";
import type { BatchSource } from "../../src/train/source";
import { earlyStopEpoch, epochMeanLosses, lowestLossEpoch, PAPER_EARLY_STOPPING } from "../../src/train/stopping";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

before(async () => {
  await backend.init();
});

test("epoch means, the lowest-loss epoch (first of equals) and Lightning's early stopping rule", () => {
  assert.deepEqual(epochMeanLosses([1, 3, 2, 2, 5], 2), [2, 2]);
  assert.equal(lowestLossEpoch([0.5, 0.25, 0.25, 0.5]), 1);
  assert.equal(lowestLossEpoch([]), -1);
  // min delta 0.1, patience 2: 0.8 improves on 1 (by more than 0.1); 0.75 and 0.85 do not: stop after epoch 3.
  assert.equal(earlyStopEpoch([1, 0.8, 0.75, 0.85, 0.1], { patience: 2, minDelta: 0.1 }), 3);
  // Without a min delta 0.75 is an improvement, so the count restarts there: the run stops an epoch later.
  assert.equal(earlyStopEpoch([1, 0.8, 0.75, 0.85, 0.8], { patience: 2, minDelta: 0 }), 4);
  assert.equal(earlyStopEpoch([1, 0.8, 0.75, 0.85], { patience: 2, minDelta: 0 }), -1);
  // A fall of exactly min delta is no improvement (strict, as Lightning).
  assert.equal(earlyStopEpoch([1, 0.75], { patience: 1, minDelta: 0.25 }), 1);
  assert.equal(earlyStopEpoch([1, 0.5], { patience: 1, minDelta: 0.25 }), -1);
});

/** Epoch means 1, 0.8, 0.75, 0.85, 0.6, 0.65, 0.62, 0.7, two steps an epoch. */
const STEP_LOSSES = [1.1, 0.9, 0.7, 0.9, 0.8, 0.7, 0.8, 0.9, 0.5, 0.7, 0.6, 0.7, 0.62, 0.62, 0.6, 0.8];

/** Two one-image batches an epoch; nothing in them is used. */
const SOURCE: BatchSource = {
  batchesPerEpoch: 2,
  ehrFeatures: [],
  signature: "scripted",
  batch: () => ({ target: tf.zeros([1, 1, 1, 1]), anchor: tf.zeros([1, 1, 1, 1]), focal: tf.zeros([1, 1, 1, 1]) }),
};

/**
 * A method whose loss at step s is STEP_LOSSES[s] and whose gradients are zero; after step s its
 * encoder's class token is filled with s + 1, so an exported encoder says which step it comes from.
 */
function scripted(): TrainingMethod {
  const encoder = vit({ dim: 8, layers: 1, heads: 2, patch: 8, imageSize: 16, seed: 1 });
  const mark = encoder.params.get("class_token");
  return {
    encoder,
    trained: [["backbone.class_token", mark]],
    weightDecay: () => 0,
    state: () => encoder.params.read("backbone."),
    loadState: (values, source) => encoder.params.load(values, source, "backbone."),
    imagesPerBatch: () => 1,
    checkBatch: () => undefined,
    beginStep: () => ({}),
    microStep: (_batch, epoch, index) => ({
      loss: STEP_LOSSES[epoch * SOURCE.batchesPerEpoch + index],
      grads: new Map([["backbone.class_token", tf.zerosLike(mark)]]),
    }),
    endStep: (at) => tf.tidy(() => mark.assign(tf.fill(mark.shape, at.step + 1))),
    dispose: () => encoder.dispose(),
  };
}

const cfg = (o: Partial<PretrainConfig>) => pretrainConfig({ epochs: 8, batchSize: 2, ...o });
const marker = (m: TrainingMethod) => m.encoder.params.get("class_token").dataSync()[0];

test("keepEncoder: the last step's encoder, or the lowest-loss epoch's (epoch 5: after step 10)", async () => {
  const last = scripted();
  const a = await trainLoop(cfg({}), SOURCE, last, { quiet: true });
  assert.equal(marker(last), 16);
  assert.equal(a.keptEpoch, undefined);
  const lowest = scripted();
  const b = await trainLoop(cfg({ keepEncoder: "lowest-loss" }), SOURCE, lowest, { quiet: true });
  assert.equal(b.keptEpoch, 4);
  assert.equal(b.steps, 16);
  assert.equal(marker(lowest), 10);
  last.dispose();
  lowest.dispose();
});

test("early stopping (patience 2, min delta 0.1) ends the run after epoch 4; the kept encoder is epoch 3's", async () => {
  const dir = tempDir("stopping");
  const m = scripted();
  const settings = cfg({ keepEncoder: "lowest-loss", earlyStopping: { patience: 2, minDelta: 0.1 } });
  const r = await trainLoop(settings, SOURCE, m, { dir, quiet: true });
  assert.equal(r.stoppedEarlyAfter, 3);
  assert.equal(r.steps, 8);
  assert.equal(r.history.loss.length, 8);
  // Early stopping's best is epoch 2 (0.8), but the lowest loss is epoch 3's 0.75, which ModelCheckpoint keeps.
  assert.equal(r.keptEpoch, 2);
  assert.equal(marker(m), 6);
  assert.equal(load(r.encoderFile!).params.get("class_token").dataSync()[0], 6);
  assert.ok(fs.existsSync(keptEncoderFile(dir)));
  m.dispose();
  // Resuming a run that stopped early trains nothing more and exports the same encoder.
  const again = scripted();
  const r2 = await trainLoop(settings, SOURCE, again, { dir, resume: true, quiet: true });
  assert.deepEqual([r2.resumedFrom, r2.steps, r2.stoppedEarlyAfter, r2.keptEpoch], [8, 8, 3, 2]);
  assert.equal(marker(again), 6);
  again.dispose();
});

test("a run stopped mid-epoch and resumed keeps the same epoch and stops at the same one", async () => {
  const dir = tempDir("stopping-resume");
  const settings = cfg({ keepEncoder: "lowest-loss", earlyStopping: { patience: 2, minDelta: 0.1 } });
  const stop = new AbortController();
  const onStep = (i: { step: number }) => {
    if (i.step === 5) stop.abort();
  };
  await assert.rejects(
    trainLoop(settings, SOURCE, scripted(), { dir, quiet: true, signal: stop.signal, callbacks: { onStep } }),
    (e: unknown) => e instanceof PretrainInterruptedError && e.step === 5,
  );
  const m = scripted();
  const r = await trainLoop(settings, SOURCE, m, { dir, resume: true, quiet: true });
  assert.deepEqual([r.resumedFrom, r.steps, r.stoppedEarlyAfter, r.keptEpoch], [5, 8, 3, 2]);
  assert.equal(marker(m), 6);
  m.dispose();
});

test("earlyStopping and keepEncoder are checked at the boundary", () => {
  assert.throws(() => pretrainConfig({ keepEncoder: "best" as never }), /keepEncoder/);
  assert.throws(
    () => pretrainConfig({ earlyStopping: { patience: 0, minDelta: 0 } }),
    (e: unknown) => e instanceof InputError && /earlyStopping\.patience/.test(e.message),
  );
  assert.throws(
    () => pretrainConfig({ earlyStopping: { patience: 5, min_delta: 1e-5 } as never }),
    (e: unknown) => e instanceof InputError && /earlyStopping\.min_delta/.test(e.message),
  );
  assert.throws(() => pretrainConfig({ earlyStopping: true as never }), /false or \{ patience, minDelta \}/);
  assert.deepEqual(pretrainConfig({ earlyStopping: PAPER_EARLY_STOPPING }).earlyStopping, {
    patience: 5,
    minDelta: 1e-5,
  });
  assert.deepEqual([pretrainConfig().keepEncoder, pretrainConfig().earlyStopping], ["last", false]);
});

test("antialiasCrops: a boolean, false by default, and a run-defining setting (it changes every view)", () => {
  assert.equal(pretrainConfig().antialiasCrops, false);
  assert.ok(RUN_DEFINING.includes("antialiasCrops"));
  assert.ok(!RUN_DEFINING.includes("keepEncoder") && !RUN_DEFINING.includes("earlyStopping"));
  assert.throws(
    () => pretrainConfig({ antialiasCrops: "yes" as never }),
    (e: unknown) => e instanceof InputError && /antialiasCrops/.test(e.message),
  );
});
