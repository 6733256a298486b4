/** The MSN loss pieces against lightly's formulas run in PyTorch (test/golden/msn_unit_fixture.json), and closed forms. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { l2Normalize, meMax, msnLoss, prototypeProbabilities, sharpen, sinkhorn } from "../../src/model/loss";
import { InputError } from "../../src/util/errors";
import { assertClose, golden } from "./support";

interface LossFixture {
  anchors: number[][];
  targets: number[][];
  prototypes: number[][];
  probabilities: number[][];
  sharpened: number[][];
  sinkhorn: number[][];
  me_max: number;
  loss: number;
  loss_no_sinkhorn_no_memax: number;
  grad_anchors: number[][];
}
let f: LossFixture;

before(async () => {
  await backend.init({ quiet: true });
  f = JSON.parse(fs.readFileSync(golden("msn_unit_fixture.json"), "utf8")).loss;
});

const t2 = (x: number[][]) => tf.tensor2d(x);
const flat = (x: number[][]) => x.flat();

test("prototypeProbabilities, sharpen, sinkhorn and meMax match lightly's", () => {
  tf.tidy(() => {
    const p = prototypeProbabilities(l2Normalize(t2(f.targets)), l2Normalize(t2(f.prototypes)), 0.1);
    assertClose(p.dataSync(), flat(f.probabilities), 1e-5, "probabilities");
    const s = sharpen(t2(f.probabilities), 0.25);
    assertClose(s.dataSync(), flat(f.sharpened), 1e-5, "sharpened");
    const q = sinkhorn(t2(f.sharpened), 3);
    assertClose(q.dataSync(), flat(f.sinkhorn), 1e-5, "sinkhorn");
    assertClose([meMax(t2(f.probabilities)).dataSync()[0]], [f.me_max], 1e-5, "me-max");
  });
});

test("msnLoss and its gradient with respect to the anchors match lightly's MSNLoss", () => {
  const v = tf.variable(t2(f.anchors), true, "anchors_loss_test");
  const r = tf.variableGrads(() => msnLoss(v as unknown as tf.Tensor2D, t2(f.targets), t2(f.prototypes)), [v]);
  assertClose([r.value.dataSync()[0]], [f.loss], 1e-5, "loss");
  assertClose(r.grads[v.name].dataSync(), flat(f.grad_anchors), 1e-4, "gradient");
  const plain = tf.tidy(
    () =>
      msnLoss(t2(f.anchors), t2(f.targets), t2(f.prototypes), { sinkhornIterations: 0, meMaxWeight: 0 }).dataSync()[0],
  );
  assertClose([plain], [f.loss_no_sinkhorn_no_memax], 1e-5, "loss without Sinkhorn and me-max");
  tf.dispose([r.value, ...Object.values(r.grads), v]);
});

test("closed forms: sinkhorn balances columns and rows; me-max is 0 for uniform use and log K for collapse", () => {
  tf.tidy(() => {
    const p = tf.softmax(tf.randomNormal([8, 4], 0, 2, "float32", 3)) as tf.Tensor2D;
    const q = sinkhorn(p, 50);
    const rows = q.sum(1).dataSync();
    const cols = q.sum(0).dataSync();
    for (const r of rows) assert.ok(Math.abs(r - 1) < 1e-4, `row sum ${r}`);
    for (const c of cols) assert.ok(Math.abs(c - 2) < 1e-3, `column sum ${c} (8 rows / 4 prototypes)`);
    assert.ok(Math.abs(meMax(tf.fill([5, 4], 0.25) as tf.Tensor2D).dataSync()[0]) < 1e-6);
    const collapsed = tf.tensor2d([
      [1, 1e-30, 1e-30, 1e-30],
      [1, 1e-30, 1e-30, 1e-30],
    ]);
    assert.ok(Math.abs(meMax(collapsed).dataSync()[0] - Math.log(4)) < 1e-5);
    // Identical anchors and targets with one-hot-like assignments give a low loss; mismatched ones a high one.
    const protos = tf.eye(4) as tf.Tensor2D;
    const z = tf.tensor2d([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    const same = msnLoss(z, z, protos).dataSync()[0];
    const swapped = msnLoss(tf.reverse(z, 0) as tf.Tensor2D, z, protos).dataSync()[0];
    assert.ok(same < 0.1 && swapped > 10, `same ${same}, swapped ${swapped}`);
  });
});

test("msnLoss refuses anchors that are not a multiple of the targets, and width mismatches", () => {
  tf.tidy(() => {
    assert.throws(
      () => msnLoss(tf.zeros([5, 3]) as tf.Tensor2D, tf.zeros([2, 3]) as tf.Tensor2D, tf.ones([4, 3]) as tf.Tensor2D),
      InputError,
    );
    assert.throws(
      () => msnLoss(tf.zeros([4, 3]) as tf.Tensor2D, tf.zeros([2, 3]) as tf.Tensor2D, tf.ones([4, 5]) as tf.Tensor2D),
      /width 3/,
    );
  });
});
