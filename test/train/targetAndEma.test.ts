/**
 * Tests that kill two mutations no other test caught (issue 19 items 12, 13): the target branch of
 * the first training step sees the unmasked target views (not the anchor's mask, not the anchor
 * views), and the EMA moves the target a fraction (1 − m) towards the anchor, not m.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { pretrainConfig } from "../../src/train/config";
import { msnMethod } from "../../src/train/msnMethod";
import { MsnModel } from "../../src/model/msn";
import { ensure } from "../../src/backend";
import { Rng } from "../../src/util/random";
import { TINY } from "./support";

test("the first step's target embeddings are the target encoder on the unmasked target views", async () => {
  await ensure();
  const cfg = pretrainConfig({ ...TINY, maskRatio: 0.5, focalViews: 0 });
  const method = msnMethod(cfg);
  const rng = new Rng(7);
  const views = (n: number, s: number) =>
    tf.tensor4d(
      Float32Array.from({ length: n * s * s * 3 }, () => rng.normal()),
      [n, s, s, 3],
    );
  const batch = { target: views(4, 16), anchor: views(4, 16), focal: tf.zeros([0, 8, 8, 3]) as tf.Tensor4D };
  const want = await method.model.target.forward(batch.target).array();
  const seen: { keep: boolean; out: number[][] }[] = [];
  const target = method.model.target;
  const forward = target.forward.bind(target);
  target.forward = (images, opts = {}) => {
    const out = forward(images, opts);
    seen.push({ keep: opts.keep !== undefined, out: out.arraySync() as number[][] });
    return out;
  };
  method.beginStep({ step: 0, totalSteps: 10, epoch: 0, stepInEpoch: 0, stepsPerEpoch: 10, epochs: 1 });
  const r = await method.microStep(batch, 0, 0);
  target.forward = forward;
  assert.ok(Number.isFinite(r.loss));
  assert.equal(seen.length, 1, "the target encoder runs once per micro-step");
  assert.equal(seen[0].keep, false, "no token mask on the target branch");
  assert.equal(seen[0].out.length, 4);
  seen[0].out.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) <= 1e-5, `[${i}][${j}]`)));
  tf.dispose(Object.values(r.grads));
  method.dispose();
  tf.dispose([batch.target, batch.anchor, batch.focal]);
});

test("EMA: target <- m·target + (1 − m)·anchor on the backbone and the projection head", async () => {
  await ensure();
  const m = new MsnModel({
    vit: { dim: 16, layers: 1, heads: 2, patch: 4, imageSize: 8 },
    numPrototypes: 4,
    projHidden: 8,
    projOut: 8,
  });
  for (const [, v] of m.target.params.entries()) v.assign(tf.fill(v.shape, 2));
  for (const [, v] of m.targetHead.params.entries()) v.assign(tf.fill(v.shape, 2));
  for (const [, v] of m.anchor.params.entries()) v.assign(tf.fill(v.shape, 12));
  for (const [, v] of m.anchorHead.params.entries()) v.assign(tf.fill(v.shape, 12));
  m.emaUpdate(0.9);
  // 0.9·2 + 0.1·12 = 3 (swapped, it would be 0.1·2 + 0.9·12 = 11).
  for (const [name, v] of [...m.target.params.entries(), ...m.targetHead.params.entries()]) {
    const got = v.dataSync();
    assert.ok(
      got.every((x) => Math.abs(x - 3) < 1e-5),
      `${name}: ${got[0]}`,
    );
  }
  for (const [, v] of m.anchor.params.entries())
    assert.ok(
      v.dataSync().every((x) => x === 12),
      "the anchor is untouched",
    );
  m.dispose();
});
