/** Configuration checks, schedules and AdamW (against torch.optim, test/golden/msn_unit_fixture.json). */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { AUTHORS_DEFAULTS, pretrainConfig } from "../../src/train/config";
import { AdamW } from "../../src/train/optimizer";
import { emaMomentum, learningRate } from "../../src/train/schedules";
import { InputError } from "../../src/util/errors";
import { golden } from "../model/support";

const fixture = JSON.parse(fs.readFileSync(golden("msn_unit_fixture.json"), "utf8"));

before(async () => {
  await backend.init({ quiet: true });
});

test("the defaults are the authors' (method-reference §1-11)", () => {
  const c = pretrainConfig();
  assert.equal(c.vit, "tiny");
  assert.deepEqual(
    [c.imageSize, c.focalSize, c.patch, c.focalViews, c.numPrototypes, c.ehrDim],
    [224, 96, 16, 10, 1024, 128],
  );
  assert.deepEqual(
    [c.maskRatio, c.maskViews, c.maskSharing, c.maskCount],
    [0.15, "anchor-and-focal", "per-sample", "authors"],
  );
  assert.deepEqual([c.temperature, c.sharpenTemperature, c.sinkhornIterations, c.meMaxWeight], [0.1, 0.25, 3, 1]);
  assert.deepEqual(
    [c.prototypes, c.momentum, c.momentumSchedule, c.emaTiming],
    ["frozen", 0.996, "fixed", "before-step"],
  );
  assert.deepEqual(
    [c.lr, c.weightDecay, c.weightDecayOn, c.lrUnit, c.warmupEpochs, c.minLr],
    [1e-4, 1e-3, "all", "epoch", 0, 0],
  );
  assert.deepEqual([c.batchSize, c.seed, c.epochs], [64, 24, 100]);
});

test("preset 'msn' switches every deviation to the original MSN, and explicit fields still win", () => {
  const m = pretrainConfig({ preset: "msn", lr: 5e-4 });
  assert.deepEqual(
    [m.prototypes, m.momentumSchedule, m.emaTiming, m.maskViews, m.maskSharing],
    ["trainable", "linear", "after-step", "anchor", "per-batch"],
  );
  assert.deepEqual(
    [m.lrUnit, m.warmupEpochs, m.warmupStartLr, m.scheduleStretch, m.minLr, m.weightDecayOn],
    ["step", 15, 2e-4, 1.25, 1e-6, "weights"],
  );
  assert.deepEqual([m.projHidden, m.projOut, m.projHiddenBias], [2048, 256, true]);
  assert.equal(m.lr, 5e-4);
});

test("configuration errors name the field, what was expected and what was found", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ imageSize: 200 }, /imageSize: expected a multiple of the patch size 16, found 200/],
    [{ focalSize: 90 }, /focalSize: expected a multiple of the patch size 16, found 90/],
    [
      { batchSize: 1 },
      /batchSize: expected at least 2, found 1\. The projection heads normalise with batch statistics/,
    ],
    [{ lrr: 1 }, /lrr: expected a pretraining option, found an unknown field "lrr"/],
    [{ vit: "large" }, /vit: expected one of "tiny", "small", "base", found "large"/],
    [{ prototypes: "learned" }, /prototypes: expected one of "frozen", "trainable"/],
    [{ lr: -1 }, /lr: expected a positive number, found -1/],
    [{ momentum: 1.5 }, /momentum: expected a number in \[0, 1\], found 1\.5/],
    [{ maskRatio: 1 }, /maskRatio: expected a number in \[0, 1\)/],
    [{ epochs: 2.5 }, /epochs: expected a positive integer, found 2\.5/],
    [{ warmupEpochs: 5, epochs: 5 }, /warmupEpochs: expected fewer than the 5 epochs/],
  ];
  for (const [given, message] of bad)
    assert.throws(
      () => pretrainConfig(given),
      (e: unknown) => e instanceof InputError && message.test(e.message),
      JSON.stringify(given),
    );
});

test("cosine per epoch equals torch's CosineAnnealingLR stepped once per epoch", () => {
  const { lr, t_max, lrs } = fixture.cosine as { lr: number; t_max: number; lrs: number[] };
  const o = { lr, minLr: 0, unit: "epoch" as const, warmupEpochs: 0, warmupStartLr: 0, stretch: 1 };
  for (let e = 0; e < t_max; e++) {
    for (const stepInEpoch of [0, 7]) {
      const got = learningRate(o, { epoch: e, stepInEpoch, epochs: t_max, stepsPerEpoch: 10 });
      assert.ok(Math.abs(got - lrs[e]) <= 1e-12 * lr, `epoch ${e}: ${got} vs ${lrs[e]}`);
    }
  }
});

test("warm-up + per-step cosine with stretch (MSN's WarmupCosineSchedule) and the EMA momentum ramp", () => {
  const o = { lr: 1e-3, minLr: 1e-6, unit: "step" as const, warmupEpochs: 2, warmupStartLr: 2e-4, stretch: 1.25 };
  const at = (epoch: number, stepInEpoch: number) =>
    learningRate(o, { epoch, stepInEpoch, epochs: 10, stepsPerEpoch: 4 });
  assert.equal(at(0, 0), 2e-4);
  assert.ok(Math.abs(at(1, 0) - 6e-4) < 1e-15, "half-way through the 8 warm-up steps");
  assert.equal(at(2, 0), 1e-3);
  // Cosine over 1.25 * 40 - 8 = 42 steps: the last step (39) is at progress 31/42, not at the end.
  const progress = 31 / 42;
  assert.ok(Math.abs(at(9, 3) - (1e-6 + ((1e-3 - 1e-6) * (1 + Math.cos(Math.PI * progress))) / 2)) < 1e-15);
  const m = { momentum: 0.996, schedule: "linear" as const, momentumEnd: 1, stretch: 1.25 };
  assert.equal(emaMomentum(m, 0, 100), 0.996);
  assert.ok(Math.abs(emaMomentum(m, 99, 100) - (0.996 + (0.004 * 99) / 125)) < 1e-15);
  assert.equal(emaMomentum({ ...m, schedule: "fixed" }, 99, 100), 0.996);
});

test("AdamW equals torch.optim.AdamW step for step, with the learning rate changed between steps", () => {
  const { initial, grads, lrs, weight_decay, after } = fixture.adamw as {
    initial: number[];
    grads: number[][];
    lrs: number[];
    weight_decay: number;
    after: number[][];
  };
  const p = tf.variable(tf.tensor1d(initial), true, "adamw_test_p");
  const opt = new AdamW([["p", p]], { weightDecay: () => weight_decay });
  for (let t = 0; t < grads.length; t++) {
    const g = tf.tensor1d(grads[t]);
    opt.apply(new Map([["p", g]]), lrs[t]);
    g.dispose();
    const got = p.dataSync();
    for (let i = 0; i < initial.length; i++)
      assert.ok(
        Math.abs(got[i] - after[t][i]) <= 1e-6 * Math.max(1e-3, Math.abs(after[t][i])),
        `step ${t + 1}, element ${i}: ${got[i]} vs ${after[t][i]}`,
      );
  }
  // The state round-trips exactly.
  const state = opt.state();
  const copy = new AdamW([["p", p]], { weightDecay: () => weight_decay });
  copy.loadState(state, opt.step, "state");
  assert.deepEqual(copy.state(), state);
  assert.equal(copy.step, 4);
  assert.throws(
    () => copy.loadState(new Map(), 1, "empty.safetensors"),
    /empty\.safetensors, exp_avg\.p: expected optimizer state of shape \[5\], found none/,
  );
  opt.dispose();
  copy.dispose();
  p.dispose();
});

test("AUTHORS_DEFAULTS is frozen in behaviour: a config object is a copy", () => {
  const c = pretrainConfig();
  c.lr = 1;
  assert.equal(AUTHORS_DEFAULTS.lr, 1e-4);
});
