import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { LinearHead, adam, epochBatches, headEpoch, maskedBce, setLearningRate } from "../../src/eval/head";
import { EarlyStopping, ReduceOnPlateau, cosineLr } from "../../src/eval/schedule";
import { runProtocol, type Learner } from "../../src/eval/protocol";
import { packageRoot } from "../../src/util/paths";
import { Rng } from "../../src/util/random";

const fixture = JSON.parse(
  fs.readFileSync(path.join(packageRoot(), "test", "golden", "probe_fixture.json"), "utf8"),
) as {
  schedules: {
    cosine: { lr0: number; epochs: number; lrs: number[] };
    reduce: { lr0: number; metrics: number[]; lrs: number[] };
  };
  head: {
    n: number;
    dim: number;
    labels: number;
    lr0: number;
    tMax: number;
    x: number[];
    y: number[];
    weight0: number[];
    bias0: number[];
    batches: number[][][];
    losses: number[];
    after: { weight: number[]; bias: number[] }[];
  };
};

before(async () => {
  await backend.init({ quiet: true });
});

test("cosine schedule equals PyTorch's CosineAnnealingLR(T_max=50) epoch by epoch", () => {
  const c = fixture.schedules.cosine;
  c.lrs.forEach((lr, e) => assert.ok(Math.abs(cosineLr(c.lr0, e, c.epochs) - lr) < 1e-15, `epoch ${e}`));
});

test("ReduceOnPlateau equals PyTorch's ReduceLROnPlateau(mode=max, factor=0.5, patience=3)", () => {
  const r = fixture.schedules.reduce;
  const sched = new ReduceOnPlateau(r.lr0);
  const lrs = [sched.lr, ...r.metrics.map((m) => sched.step(m))];
  assert.deepEqual(lrs, r.lrs);
});

test("EarlyStopping: Lightning's rule, patience 5 and min_delta 1e-5", () => {
  const s = new EarlyStopping(5, 1e-5);
  // 0.700005 is not an improvement over 0.7 (less than min_delta), so the wait keeps counting.
  const curve = [0.6, 0.7, 0.700005, 0.69, 0.7, 0.699, 0.7000099];
  assert.deepEqual(
    curve.map((m) => s.step(m)),
    [false, false, false, false, false, false, true],
  );
  assert.equal(s.best, 0.7);
  const t = new EarlyStopping(2, 1e-5);
  assert.deepEqual(
    [0.5, 0.6, 0.7, 0.7, 0.71].map((m) => t.step(m)),
    [false, false, false, false, false],
  );
});

test("masked BCE: ignored entries do not count, the rest as PyTorch's BCE with logits", () => {
  const logits = tf.tensor2d([
    [2, -1],
    [0.5, 3],
  ]);
  const labels = tf.tensor2d([
    [1, -1],
    [0, 1],
  ]);
  const got = maskedBce(logits, labels).dataSync()[0];
  const bce = (z: number, y: number) => Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
  assert.ok(Math.abs(got - (bce(2, 1) + bce(0.5, 0) + bce(3, 1)) / 3) < 1e-6);
  tf.dispose([logits, labels]);
});

test("a linear head trained by Adam + cosine equals PyTorch after every epoch (same batches)", async () => {
  const h = fixture.head;
  const head = new LinearHead(h.dim, ["a", "b", "c"], new Rng(0), {
    weight: Float32Array.from(h.weight0),
    bias: Float32Array.from(h.bias0),
  });
  const x = tf.tensor2d(h.x, [h.n, h.dim]);
  const y = tf.tensor2d(h.y, [h.n, h.labels]);
  const opt = adam(h.lr0);
  const before = tf.memory().numTensors;
  for (const [e, ref] of h.after.entries()) {
    setLearningRate(opt, cosineLr(h.lr0, e, h.tMax));
    const loss = await headEpoch(
      head,
      opt,
      x,
      y,
      h.batches[e].map((b) => Int32Array.from(b)),
    );
    assert.ok(Math.abs(loss - h.losses[e]) < 1e-5, `epoch ${e} loss ${loss} vs ${h.losses[e]}`);
    const w = await head.read();
    ref.weight.forEach((v, i) =>
      assert.ok(Math.abs(w.weight[i] - v) < 2e-5, `epoch ${e} weight ${i}: ${w.weight[i]} vs ${v}`),
    );
    ref.bias.forEach((v, i) => assert.ok(Math.abs(w.bias[i] - v) < 2e-5, `epoch ${e} bias ${i}`));
    // Adam's two moments per variable are created in epoch 0; an epoch leaves no other tensor behind.
    assert.equal(tf.memory().numTensors, before + 4, `epoch ${e}`);
  }
  opt.dispose();
  head.dispose();
  tf.dispose([x, y]);
});

test("epochBatches: a seeded shuffle, every row once, the short tail dropped on request unless it is the only batch", () => {
  const a = epochBatches(10, 4, new Rng(3), true);
  assert.deepEqual(
    a.map((b) => b.length),
    [4, 4],
  );
  const b = epochBatches(10, 4, new Rng(3), false);
  assert.deepEqual(
    b.map((x) => x.length),
    [4, 4, 2],
  );
  assert.deepEqual(
    [...b.flatMap((x) => [...x])].sort((p, q) => p - q),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(
    a.map((x) => [...x]),
    b.slice(0, 2).map((x) => [...x]),
  );
  // Fewer rows than one batch: the short batch is the only one, and is kept (else no step would be taken).
  assert.deepEqual(
    epochBatches(3, 4, new Rng(3), true).map((x) => x.length),
    [3],
  );
});

test("runProtocol keeps the best validation epoch over all runs and restores it", async () => {
  // A scripted learner: the validation scores are those of a variable that each epoch sets to a
  // planned value, so the validation AUROC of every epoch is known in advance.
  const names = ["y"];
  const yVal = { rows: 4, cols: 1, names, values: Float32Array.from([0, 1, 0, 1]) };
  // Run 0 peaks at epoch 1 (AUROC 1) then stops after 5 epochs without improvement; run 1 never beats it.
  const plan = [
    [0.5, 1, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75],
    [0.25, 0.5, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5],
  ];
  // Validation scores (rows: neg, pos, neg, pos) with a known AUROC each.
  const scores: Record<number, number[]> = {
    1: [0.1, 0.9, 0.2, 0.8],
    0.75: [0.1, 0.9, 0.85, 0.8],
    0.5: [0.5, 0.5, 0.5, 0.5],
    0.25: [0.1, 0.9, 0.95, 0.05],
  };
  const v = tf.variable(tf.zeros([1]));
  const learner: Learner = {
    variables: () => [v],
    reset: () => v.assign(tf.zeros([1])),
    trainEpoch: async (_opt, epoch, run) => {
      v.assign(tf.tensor1d([plan[run][epoch]]));
      return 1 / (epoch + 1);
    },
    validate: async () => Float32Array.from(scores[v.dataSync()[0]]),
  };
  const r = await runProtocol(learner, yVal, {
    runs: [
      { lr: 0.1, scheduler: "cosine", earlyStopping: true },
      { lr: 0.01, scheduler: "reduce", earlyStopping: false },
    ],
    maxEpochs: 8,
    patience: 5,
    quiet: true,
  });
  assert.deepEqual(
    r.runs[0].history.map((h) => h.valAuroc),
    [0.5, 1, 0.75, 0.75, 0.75, 0.75, 0.75],
  );
  assert.equal(r.runs[0].epochs, 7);
  assert.equal(r.runs[0].stoppedEarly, true);
  assert.equal(r.runs[1].epochs, 8);
  assert.deepEqual(
    r.runs[1].history.map((h) => h.valAuroc),
    [0.25, 0.5, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5],
  );
  assert.deepEqual(
    { run: r.chosen.run, epoch: r.chosen.epoch, valAuroc: r.chosen.valAuroc, lr: r.chosen.lr },
    { run: 0, epoch: 1, valAuroc: 1, lr: 0.1 },
  );
  // The variable is back at the best checkpoint's value.
  assert.equal(v.dataSync()[0], 1);
  // Cosine learning rates were applied per epoch.
  assert.equal(r.runs[0].history[1].lr, cosineLr(0.1, 1, 8));
  v.dispose();
});
