import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { checkCGrid, fitLogistic, logisticSweep, LOGISTIC_C_GRID } from "../../src/eval/logistic";
import { applyHead, probeEmbeddings, trainProbe, type ProbeData } from "../../src/eval/probe";
import { evaluate } from "../../src/eval/metrics";
import { InputError } from "../../src/util/errors";
import { packageRoot } from "../../src/util/paths";

before(() => backend.ensure());

interface Fixture {
  n: number;
  held: number;
  d: number;
  names: string[];
  x: number[];
  y: number[];
  fits: { c: number; weight: number[]; bias: number[]; decision: number[] }[];
}
const fixture: Fixture = JSON.parse(
  fs.readFileSync(path.join(packageRoot(), "test", "golden", "logistic_fixture.json"), "utf8"),
);
const k = fixture.names.length;
const rows = (from: number, to: number) => ({
  x: { data: Float32Array.from(fixture.x.slice(from * fixture.d, to * fixture.d)), n: to - from, dims: fixture.d },
  y: { names: fixture.names, values: Float32Array.from(fixture.y.slice(from * k, to * k)) },
});
const train = rows(0, fixture.n);
const held = rows(fixture.n, fixture.n + fixture.held);

test("fitLogistic: scikit-learn's StandardScaler + LogisticRegression(C) per label, ignored labels left out", async () => {
  for (const ref of fixture.fits) {
    const fit = fitLogistic(train.x, train.y, ref.c);
    const decision = await applyHead(fit.head, held.x);
    // applyHead gives sigmoid scores: compare the logits, in units of the reference's spread.
    const spread = Math.max(...ref.decision.map(Math.abs));
    let worst = 0;
    decision.forEach((s, i) => (worst = Math.max(worst, Math.abs(Math.log(s / (1 - s)) - ref.decision[i]))));
    assert.ok(worst < 2e-3 * spread + 1e-3, `C = ${ref.c}: decision values within ${worst} of scikit-learn's`);
    const bias = Array.from(fit.head.bias);
    bias.forEach((b, j) =>
      assert.ok(Math.abs(b - ref.bias[j]) < 2e-3 * (1 + Math.abs(ref.bias[j])), `C ${ref.c} bias ${j}`),
    );
    assert.ok(fit.iterations >= 2 && fit.iterations < 40, `${fit.iterations} Newton steps`);
  }
});

test("fitLogistic: a warm start from another C's weights reaches the same optimum", async () => {
  const [a, b] = [fixture.fits[0], fixture.fits[1]];
  const cold = fitLogistic(train.x, train.y, b.c);
  const warm = fitLogistic(train.x, train.y, b.c, { warmStart: fitLogistic(train.x, train.y, a.c).standardized });
  const [sc, sw] = [await applyHead(cold.head, held.x), await applyHead(warm.head, held.x)];
  // Within float32's reach of the optimum (the backend computes the gradients in float32).
  sc.forEach((s, i) => assert.ok(Math.abs(s - sw[i]) < 1e-3, `row ${i}: ${s} vs ${sw[i]}`));
});

test("fitLogistic: a label with one class in training gets zero weights and its smoothed rate", () => {
  const y = {
    names: train.y.names,
    values: Float32Array.from(train.y.values, (v, i) => (i % k === 2 && v !== -1 ? 0 : v)),
  };
  const fit = fitLogistic(train.x, y, 1);
  const negatives = Array.from(y.values).filter((v, i) => i % k === 2 && v === 0).length;
  for (let r = 0; r < fixture.d; r++) assert.equal(fit.head.weight[r * k + 2], 0);
  assert.ok(Math.abs(fit.head.bias[2] - Math.log(0.5 / (negatives + 0.5))) < 1e-5);
});

test("logisticSweep: every C fitted in increasing order, the best validation score kept", async () => {
  const wanted = 0.3;
  const scores = new Map<number, number>();
  const r = await logisticSweep(train, [1, 0.3, 0.01], async (head) => {
    // A score that prefers the head of C = 0.3: known from the fixture.
    const ref = fixture.fits.find((f) => f.c === 0.3)!;
    const s = await applyHead(head, held.x);
    let err = 0;
    s.forEach((v, i) => (err += Math.abs(Math.log(v / (1 - v)) - ref.decision[i])));
    return -err;
  });
  r.sweep.forEach((c) => scores.set(c.c, c.valAuroc));
  assert.deepEqual(
    r.sweep.map((c) => c.c),
    [0.01, 0.3, 1],
  );
  assert.equal(r.chosen.c, wanted);
  assert.equal(r.chosen.valAuroc, Math.max(...scores.values()));
});

test("probeEmbeddings with logisticC: chosen on validation, tested once, head on raw embeddings", async () => {
  const data: ProbeData = { train, validate: held, test: held };
  const r = await probeEmbeddings(data, { logisticC: LOGISTIC_C_GRID, n: 50, seed: 1, quiet: true });
  assert.ok("c" in r.chosen && LOGISTIC_C_GRID.includes(r.chosen.c));
  assert.equal(r.runs.length, 0);
  assert.equal(r.sweep!.length, LOGISTIC_C_GRID.length);
  assert.equal(r.chosen.valAuroc, Math.max(...r.sweep!.map((s) => s.valAuroc)));
  const scores = await applyHead(r.head, held.x);
  const auroc = evaluate(held.y, { names: fixture.names, values: scores }, { quiet: true }).macroAuroc;
  assert.ok(Math.abs(auroc - r.chosen.valAuroc) < 1e-9, "the returned head gives the chosen validation AUROC");
  assert.ok(Math.abs(r.macro.auroc.estimate - auroc) < 1e-9, "and the test AUROC (the same rows here)");
});

test("logisticC: bad grids and augmentation refused with a named field", async () => {
  for (const bad of [[], [0], [0.1, -1], [NaN]])
    assert.throws(
      () => checkCGrid(bad),
      (e: unknown) => e instanceof InputError && /logisticC/.test(e.message),
    );
  const data: ProbeData = { train, validate: held, test: held };
  await assert.rejects(
    trainProbe(data, { logisticC: [1], quiet: true }, async () => train.x.data),
    (e: unknown) => e instanceof InputError && /augment/.test(e.message),
  );
});
