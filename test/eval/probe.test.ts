import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { applyHead, probeEmbeddings, protocolChoice, type ProbeData } from "../../src/eval/probe";
import { formatCi, resultsTable } from "../../src/eval/table";
import { evaluate } from "../../src/eval/metrics";
import { InputError } from "../../src/util/errors";
import { IGNORE_LABEL } from "../../src/util/labels";
import { Rng } from "../../src/util/random";

const NAMES = ["Atelectasis", "Cardiomegaly", "Edema"];

/**
 * Embeddings of `n` images whose labels are linearly readable with strength `signal` (0: pure
 * noise). Label 2 has a few ignored entries.
 */
function split(n: number, dim: number, signal: number, rng: Rng): ProbeData["train"] {
  const k = NAMES.length;
  const y = new Float32Array(n * k);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) y[i * k + j] = rng.bernoulli([0.3, 0.15, 0.4][j]) ? 1 : 0;
    if (rng.bernoulli(0.05)) y[i * k + 2] = IGNORE_LABEL;
    for (let d = 0; d < dim; d++) {
      const j = d % k;
      x[i * dim + d] = rng.normal() + signal * (y[i * k + j] === 1 ? 1 : 0);
    }
  }
  return { x: { data: x, n, dims: dim }, y: { names: NAMES, values: y } };
}

function dataset(signal: number, seed: number): ProbeData {
  const rng = new Rng(seed);
  return {
    train: split(600, 12, signal, rng),
    validate: split(200, 12, signal, rng),
    test: split(400, 12, signal, rng),
  };
}

const runs = [
  { lr: 1e-2, scheduler: "cosine" as const, earlyStopping: true },
  { lr: 1e-3, scheduler: "reduce" as const, earlyStopping: false },
];

before(async () => {
  await backend.init({ quiet: true });
});

test("probe on informative embeddings: high AUROC, chosen run reported, head reusable", async () => {
  const data = dataset(1.2, 1);
  const before = tf.memory().numTensors;
  const r = await probeEmbeddings(data, { runs, maxEpochs: 12, n: 200, seed: 3, quiet: true });
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  // With 4 informative dimensions per label at 1.2 sd, a linear read-out reaches AUROC ~0.9.
  assert.ok(r.macro.auroc.estimate > 0.85, `macro AUROC ${r.macro.auroc.estimate}`);
  assert.ok(r.macro.auroc.lower < r.macro.auroc.estimate && r.macro.auroc.estimate < r.macro.auroc.upper);
  assert.equal(r.runs.length, 2);
  assert.equal(r.runs[1].epochs, 12, "reduce-on-plateau runs have no early stopping");
  assert.ok(r.runs[0].history.every((h) => Number.isFinite(h.loss) && h.valAuroc > 0.5));
  const best = Math.max(...r.runs.flatMap((x) => x.history.map((h) => h.valAuroc)));
  assert.equal(r.chosen.valAuroc, best);
  const chosen = protocolChoice(r.chosen);
  assert.equal(chosen.lr, runs[chosen.run].lr);
  // The returned head reproduces the test scores, and they give the reported AUROC.
  const again = await applyHead(r.head, r.embeddings.test);
  assert.deepEqual(Array.from(again), Array.from(r.test.yScore.values));
  assert.equal(evaluate(r.test.yTrue, r.test.yScore, { quiet: true }).macroAuroc, r.macro.auroc.estimate);
  assert.equal(r.labels.test.values.length, 400 * 3);
  assert.equal(
    r.perLabel[2].positives + r.perLabel[2].negatives + evaluate(r.test.yTrue, r.test.yScore).perLabel[2].ignored,
    400,
  );
  // The per-label table in the paper's format, macro row last.
  const t = r.table();
  assert.deepEqual(t.columns, ["Label", "AUROC (CI)", "AUPRC (CI)", "Positives"]);
  assert.deepEqual(
    t.rows.map((x) => x[0]),
    [...NAMES, "Macro"],
  );
  assert.equal(t.rows[3][1], formatCi(r.macro.auroc));
  assert.match(t.rows[3][1], /^0\.\d{3} \(0\.\d{3}, 0\.\d{3}\)$/);
});

test("probe on noise embeddings: AUROC near 0.5, its CI covering 0.5", async () => {
  const r = await probeEmbeddings(dataset(0, 2), {
    runs: runs.slice(0, 1),
    maxEpochs: 8,
    n: 300,
    seed: 1,
    quiet: true,
  });
  assert.ok(Math.abs(r.macro.auroc.estimate - 0.5) < 0.07, `${r.macro.auroc.estimate}`);
  assert.ok(r.macro.auroc.lower < 0.5 && r.macro.auroc.upper > 0.5);
});

test("the same seed gives the same probe; authorsEvalDropLast cuts evaluation to whole batches", async () => {
  const data = dataset(1, 4);
  const opts = { runs: runs.slice(0, 1), maxEpochs: 3, n: 50, seed: 9, quiet: true };
  const a = await probeEmbeddings(data, opts);
  const b = await probeEmbeddings(data, opts);
  assert.deepEqual(a.head, b.head);
  assert.deepEqual(a.macro, b.macro);
  const c = await probeEmbeddings(data, { ...opts, authorsEvalDropLast: true });
  assert.deepEqual(c.dropped, { validate: 200 % 64, test: 400 % 64 });
  assert.equal(c.test.yScore.values.length, (400 - 16) * 3);
});

test("probe input errors name the split, row and what was expected", async () => {
  const good = dataset(1, 5);
  const bad = (patch: (d: ProbeData) => void) => {
    const d = dataset(1, 5);
    patch(d);
    return probeEmbeddings(d, { runs, maxEpochs: 1, quiet: true });
  };
  await assert.rejects(
    bad((d) => {
      d.validate.x.data[13] = NaN;
    }),
    /validate.x: expected finite embedding values, found NaN/,
  );
  await assert.rejects(
    bad((d) => {
      d.test = { x: { data: new Float32Array(0), n: 0, dims: 12 }, y: { names: NAMES, values: [] } };
    }),
    /test: expected at least one image \(an empty split\?\), found 0 rows/,
  );
  await assert.rejects(
    bad((d) => {
      (d.train.y.values as Float32Array)[7] = 0.5;
    }),
    /row 3, column "Cardiomegaly", train.y: expected 0, 1 or -1/,
  );
  await assert.rejects(
    bad((d) => {
      d.test.y = { names: ["A", "B", "C"], values: d.test.y.values };
    }),
    /test.y.names: expected the labels of train/,
  );
  await assert.rejects(
    bad((d) => {
      d.validate.x = { data: d.validate.x.data.subarray(0, 200 * 6), n: 200, dims: 6 };
    }),
    /validate.x: expected 12 dimensions \(as train\), found 6/,
  );
  await assert.rejects(
    probeEmbeddings(good, { runs: [{ lr: -1, scheduler: "cosine", earlyStopping: true }], quiet: true }),
    InputError,
  );
  await assert.rejects(
    probeEmbeddings(good, { runs: [{ lr: 1e-3, scheduler: "step" as "cosine", earlyStopping: true }], quiet: true }),
    /runs\[0\].scheduler: expected "cosine" or "reduce"/,
  );
});

test("results table: the paper's format, a mark where DeLong finds a significant gain over the baseline", () => {
  const rng = new Rng(11);
  const n = 600;
  const y = Float32Array.from({ length: n * 2 }, () => (rng.bernoulli(0.3) ? 1 : 0));
  const scoresOf = (signal: number) => Float32Array.from(y, (v) => rng.normal() + signal * v);
  const Y = { names: ["A", "B"], values: y };
  const entry = (model: string, signal: number, group?: string) => ({
    model,
    group,
    test: { yTrue: Y, yScore: { names: ["A", "B"], values: scoresOf(signal) } },
  });
  const t = resultsTable([entry("MSN", 0.5, "MIMIC"), entry("MSN+age", 1.2, "MIMIC"), entry("MAE", 0.45, "MIMIC")], {
    baseline: "MSN",
    n: 300,
    seed: 2,
  });
  assert.deepEqual(t.columns, ["Model", "MIMIC AUROC (CI)", "MIMIC AUPRC (CI)"]);
  assert.deepEqual(
    t.rows.map((r) => r[0]),
    ["MSN", "MSN+age", "MAE"],
  );
  assert.match(t.rows[0][1], /^0\.\d{3} \(0\.\d{3}, 0\.\d{3}\)$/);
  assert.match(t.rows[1][1], /^0\.\d{3}∗ \(0\.\d{3}, 0\.\d{3}\)$/, "a large gain is marked");
  assert.ok(!t.rows[2][1].includes("∗"), "a model worse than the baseline is not marked");
  assert.ok(t.cells[1].pAuroc! < 1e-6 && t.cells[0].pAuroc === undefined);
  assert.equal(t.note, "∗ p < 0.05 against MSN (DeLong's test for AUROC, paired bootstrap for AUPRC)");
  const csv = t.csv().split("\n");
  assert.equal(csv[0], "Model,MIMIC AUROC (CI),MIMIC AUPRC (CI)");
  assert.match(csv[2], /^MSN\+age,"0\.\d{3}∗ \(0\.\d{3}, 0\.\d{3}\)","0\.\d{3}∗? \(/);
  assert.match(t.html(), /<td[^>]*>0\.\d{3}∗ \(0\.\d{3}, 0\.\d{3}\)<\/td>/);
  assert.match(t.html(), /∗ p &lt; 0.05 against MSN/);
  const df = t.frame();
  assert.deepEqual(df.shape, [3, 3]);
  assert.deepEqual(df.columns, t.columns);
  assert.throws(
    () => resultsTable([entry("MSN", 1)], { baseline: "DINO" }),
    /baseline: expected one of the models \(MSN\), found "DINO"/,
  );
});
