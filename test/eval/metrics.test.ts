import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { auroc, auprc, evaluate, macroAuprc, macroAuroc } from "../../src/eval/metrics";
import { bootstrapCi, percentile } from "../../src/eval/bootstrap";
import { compare } from "../../src/eval/compare";
import { rankLabel, sweep } from "../../src/eval/ranking";
import { InputError } from "../../src/util/errors";
import { packageRoot } from "../../src/util/paths";

interface Case {
  name: string;
  rows: number;
  cols: number;
  yTrue: number[];
  yScore: number[];
  perLabel: ({ auroc: number; auprc: number } | null)[];
  leftOut: number[];
  macroAuroc: number;
  macroAuprc: number;
  sklearnMacroAuroc?: number;
  sklearnMacroAuprc?: number;
}
interface DelongRef {
  aucA: number;
  aucB: number;
  diff: number;
  var: number;
  z: number;
  p: number;
}
const fixture = JSON.parse(
  fs.readFileSync(path.join(packageRoot(), "test", "golden", "metrics_fixture.json"), "utf8"),
) as {
  cases: Case[];
  resamples: { case: string; draws: { indices: number[]; perLabel: ({ auroc: number; auprc: number } | null)[] }[] };
  delong: {
    rows: number;
    cols: number;
    yTrue: number[];
    a: number[];
    b: number[];
    perLabel: (DelongRef | null)[];
    macro: Omit<DelongRef, "aucA" | "aucB">;
  };
  percentile: { x: number[]; q: number[]; values: number[] };
};

const names = (k: number) => Array.from({ length: k }, (_, j) => `L${j}`);
const col = (c: { cols: number; yTrue: number[] }, v: number[], j: number) => v.filter((_, i) => i % c.cols === j);
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

for (const c of fixture.cases) {
  test(`per-label AUROC and AP equal scikit-learn within 1e-9 (${c.name})`, () => {
    c.perLabel.forEach((ref, j) => {
      const y = col(c, c.yTrue, j);
      const s = col(c, c.yScore, j);
      if (ref === null) {
        assert.throws(() => auroc(y, s), InputError);
        return;
      }
      close(auroc(y, s), ref.auroc, 1e-9, `${c.name} label ${j} AUROC`);
      close(auprc(y, s), ref.auprc, 1e-9, `${c.name} label ${j} AP`);
    });
  });

  test(`macro AUROC and AUPRC equal scikit-learn's macro average (${c.name})`, () => {
    const Y = { names: names(c.cols), values: Float32Array.from(c.yTrue) };
    const S = { names: names(c.cols), values: Float64Array.from(c.yScore) };
    const e = evaluate(Y, S, { quiet: true });
    close(e.macroAuroc, c.macroAuroc, 1e-9, "macro AUROC");
    close(e.macroAuprc, c.macroAuprc, 1e-9, "macro AUPRC");
    if (c.sklearnMacroAuroc !== undefined) close(macroAuroc(Y, S), c.sklearnMacroAuroc, 1e-9, "sklearn average=macro");
    if (c.sklearnMacroAuprc !== undefined)
      close(macroAuprc(Y, S), c.sklearnMacroAuprc, 1e-9, "sklearn average=macro AP");
    assert.deepEqual(
      e.leftOut.map((l) => l.name),
      c.leftOut.map((j) => `L${j}`),
    );
    for (const m of e.perLabel) assert.ok(m.auroc === null || Number.isFinite(m.auroc));
  });
}

test("labels without a positive or a negative are left out with a warning naming them", (t) => {
  const c = fixture.cases.find((x) => x.name === "ties")!;
  const warn = t.mock.method(console, "warn", () => undefined);
  const e = evaluate({ names: names(c.cols), values: c.yTrue }, { names: names(c.cols), values: c.yScore });
  assert.equal(warn.mock.callCount(), 1);
  assert.match(
    String(warn.mock.calls[0].arguments[0]),
    /2 label\(s\) left out.*L5 \(no positive\), L6 \(no negative\)/,
  );
  assert.deepEqual(e.perLabel[5], { name: "L5", auroc: null, auprc: null, positives: 0, negatives: 300, ignored: 0 });
  // Label 0 has 40 ignored entries, masked rather than counted as negatives.
  assert.equal(e.perLabel[0].ignored, 40);
  assert.equal(e.perLabel[0].positives + e.perLabel[0].negatives, 260);
});

test("a weighted sweep equals scikit-learn on the resampled rows (bootstrap multiplicities)", () => {
  const c = fixture.cases.find((x) => x.name === fixture.resamples.case)!;
  for (const draw of fixture.resamples.draws) {
    const w = new Int32Array(c.rows);
    for (const i of draw.indices) w[i]++;
    draw.perLabel.forEach((ref, j) => {
      const m = sweep(rankLabel(col(c, c.yTrue, j), col(c, c.yScore, j)), w);
      if (ref === null) {
        assert.ok(Number.isNaN(m.auroc));
        return;
      }
      close(m.auroc, ref.auroc, 1e-9, `resampled label ${j} AUROC`);
      close(m.auprc, ref.auprc, 1e-9, `resampled label ${j} AP`);
    });
  }
});

test("percentile interpolates as numpy's np.percentile", () => {
  const p = fixture.percentile;
  p.q.forEach((q, i) => close(percentile(p.x, q), p.values[i], 1e-12, `P${q}`));
});

test("hand-worked AUROC and AP: perfect, reversed and all-tied rankings", () => {
  assert.equal(auroc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]), 1);
  assert.equal(auroc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]), 0);
  assert.equal(auroc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5);
  // Positives at ranks 1 and 3 of 4: precision 1 at recall 1/2, 2/3 at recall 1 -> AP = (1 + 2/3) / 2.
  close(auprc([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]), 5 / 6, 1e-15, "AP");
  // One tie block holding everything: AP is the prevalence.
  close(auprc([1, 0, 0, 0], [3, 3, 3, 3]), 0.25, 1e-15, "tied AP");
});

test("bootstrapCi: percentile interval around the point estimate, reproducible by seed", () => {
  const c = fixture.cases.find((x) => x.name === "float32")!;
  const Y = { names: names(c.cols), values: c.yTrue };
  const S = { names: names(c.cols), values: c.yScore };
  const r1 = bootstrapCi(Y, S, { n: 200, seed: 7 });
  const r2 = bootstrapCi(Y, S, { n: 200, seed: 7 });
  const r3 = bootstrapCi(Y, S, { n: 200, seed: 8 });
  close(r1.auroc.estimate, c.macroAuroc, 1e-12, "estimate");
  assert.deepEqual(r1.auroc, r2.auroc);
  assert.notDeepEqual(r1.auroc, r3.auroc);
  assert.ok(r1.auroc.lower < r1.auroc.estimate && r1.auroc.estimate < r1.auroc.upper);
  assert.ok(r1.auprc.lower < r1.auprc.estimate && r1.auprc.estimate < r1.auprc.upper);
  // The interval is the 2.5th and 97.5th percentile of the resampled macro values.
  assert.equal(r1.auroc.lower, percentile(r1.samples.auroc, 2.5));
  assert.equal(r1.auroc.upper, percentile(r1.samples.auroc, 97.5));
  // Bootstrap SD of a macro AUROC on 500 rows: a width of several hundredths, not zero nor 0.5.
  const width = r1.auroc.upper - r1.auroc.lower;
  assert.ok(width > 0.02 && width < 0.15, `width ${width}`);
  assert.equal(r1.perLabel.length, 4);
  for (const l of r1.perLabel) assert.ok(l.auroc!.lower <= l.auroc!.estimate && l.auroc!.estimate <= l.auroc!.upper);
  assert.equal(r1.degenerate, 0);
});

test("bootstrapCi on 7 rows: resamples that draw a single class are counted and left out, never NaN", (t) => {
  const c = fixture.cases.find((x) => x.name === "tiny")!;
  const warn = t.mock.method(console, "warn", () => undefined);
  const r = bootstrapCi(
    { names: names(2), values: c.yTrue },
    { names: names(2), values: c.yScore },
    { n: 400, seed: 2 },
  );
  // P(no positive of label 0 among 7 draws) = (4/7)^7 = 2%, of label 1 (5/7)^7 = 9%: dozens of resamples.
  assert.ok(r.degenerate > 20 && r.degenerate < 100, `${r.degenerate}`);
  assert.equal(warn.mock.callCount(), 1);
  assert.match(String(warn.mock.calls[0].arguments[0]), new RegExp(`in ${r.degenerate} of 400 resamples`));
  for (const v of [r.auroc.lower, r.auroc.upper, r.auprc.lower, r.auprc.upper]) assert.ok(Number.isFinite(v));
  assert.ok(r.auroc.lower >= 0 && r.auroc.upper <= 1);
});

test("compare: DeLong z and p-values equal an independent numpy implementation (Sun & Xu 2014)", () => {
  const d = fixture.delong;
  const Y = { names: names(d.cols), values: d.yTrue };
  const r = compare(
    { yTrue: Y, yScore: { names: names(d.cols), values: d.a } },
    { yTrue: Y, yScore: { names: names(d.cols), values: d.b } },
    { n: 300, seed: 3, quiet: true },
  );
  d.perLabel.forEach((ref, j) => {
    const got = r.perLabel[j].auroc;
    if (ref === null) {
      assert.equal(got, null);
      return;
    }
    close(got!.a, ref.aucA, 1e-12, `label ${j} AUC a`);
    close(got!.b, ref.aucB, 1e-12, `label ${j} AUC b`);
    close(got!.delong!.variance, ref.var, 1e-12 * Math.max(ref.var, 1e-3), `label ${j} var`);
    close(got!.delong!.z, ref.z, 1e-9, `label ${j} z`);
    close(got!.delong!.p, ref.p, 1e-9 * Math.max(ref.p, 1e-3), `label ${j} p`);
  });
  const m = r.macro.auroc;
  close(m.diff, d.macro.diff, 1e-12, "macro diff");
  close(m.delong!.variance, d.macro.var, 1e-12, "macro var");
  close(m.delong!.z, d.macro.z, 1e-9, "macro z");
  close(m.delong!.p, d.macro.p, 1e-9, "macro p");
  // Identical scores on label 1: no difference, p = 1 by both tests.
  assert.equal(r.perLabel[1].auroc!.diff, 0);
  assert.equal(r.perLabel[1].auroc!.delong!.p, 1);
  assert.equal(r.perLabel[1].auroc!.pBootstrap, 1);
});

test("compare: the paired bootstrap agrees with DeLong on a clear and on a null difference", () => {
  const d = fixture.delong;
  const Y = { names: names(d.cols), values: d.yTrue };
  const A = { yTrue: Y, yScore: { names: names(d.cols), values: d.a } };
  const B = { yTrue: Y, yScore: { names: names(d.cols), values: d.b } };
  const r = compare(A, B, { n: 1000, seed: 5, quiet: true });
  // Label 0: DeLong p = 0.003; the bootstrap p lands in the same region and the CI excludes 0.
  assert.ok(r.perLabel[0].auroc!.pBootstrap < 0.02, `${r.perLabel[0].auroc!.pBootstrap}`);
  assert.ok(r.perLabel[0].auroc!.lower > 0);
  // Label 2: DeLong p = 0.32; so is the bootstrap's, and the CI straddles 0.
  assert.ok(r.perLabel[2].auroc!.pBootstrap > 0.15, `${r.perLabel[2].auroc!.pBootstrap}`);
  assert.ok(r.perLabel[2].auroc!.lower < 0 && r.perLabel[2].auroc!.upper > 0);
  // A model compared with itself: every difference is exactly 0.
  const self = compare(A, A, { n: 50, seed: 1, quiet: true });
  assert.equal(self.macro.auroc.diff, 0);
  assert.equal(self.macro.auroc.lower, 0);
  assert.equal(self.macro.auprc.pBootstrap, 1);
});

test("bad input: an InputError that says which argument, row and label", () => {
  const Y = { names: ["A", "B"], values: [1, 0, 0, 1, 1, 1] };
  const S = { names: ["A", "B"], values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] };
  assert.throws(
    () => evaluate(Y, { names: ["A", "B"], values: [0.1, 0.2, 0.3, 0.4] }),
    /yScore: expected 3 rows \(as yTrue\), found 2/,
  );
  assert.throws(() => evaluate(Y, { names: ["A"], values: [0.1, 0.2, 0.3] }), /yScore: expected 2 label columns/);
  assert.throws(
    () => evaluate(Y, { names: ["A", "B"], values: [0.1, 0.2, NaN, 0.4, 0.5, 0.6] }),
    /row 2, column "A", yScore: expected a finite score, found NaN/,
  );
  assert.throws(
    () => evaluate({ names: ["A", "B"], values: [1, 0, 0, 2, 1, 1] }, S),
    /row 2, column "B", yTrue: expected 0, 1 or -1 \(ignored\), found 2/,
  );
  assert.throws(
    () => evaluate({ names: ["A", "B"], values: [] }, { names: ["A", "B"], values: [] }),
    /yTrue: expected at least one row \(an empty split\?\), found 0 rows/,
  );
  assert.throws(
    () =>
      evaluate(
        [[1, 0], [0]],
        [
          [0.1, 0.2],
          [0.3, 0.4],
        ],
      ),
    /row 2, yTrue: expected 2 columns/,
  );
  assert.throws(
    () => macroAuroc({ names: ["A"], values: [1, 1] }, { names: ["A"], values: [0.1, 0.2] }, { quiet: true }),
    /at least one label with both a positive and a negative, found A: no negative/,
  );
  assert.throws(() => bootstrapCi(Y, S, { n: 0 }), /n: expected a positive whole number/);
  assert.throws(
    () => compare({ yTrue: Y, yScore: S }, { yTrue: { names: ["A", "B"], values: [1, 0, 0, 1, 0, 1] }, yScore: S }),
    /row 3, column "A", b.yTrue: expected the same labels as a/,
  );
  try {
    evaluate(Y, { names: ["A", "B"], values: [0.1, 0.2, 0.3, Infinity, 0.5, 0.6] });
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof InputError);
    assert.deepEqual(
      { row: e.details.row, column: e.details.column, field: e.details.field },
      { row: 2, column: "B", field: "yScore" },
    );
  }
});
