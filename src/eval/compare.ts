/**
 * Is model B better than model A on the same test set? Two tests, per label and for the macro mean:
 *
 * - a paired bootstrap of the difference B - A (the same resampled rows for both models), with a
 *   percentile interval and a two-sided p-value, for AUROC and AUPRC. It generalises the deleted
 *   template of the authors (a bootstrap of the difference for one label) to the 14-label macro;
 * - DeLong's test for AUROC, with the structural components of Sun & Xu (2014). For the macro
 *   difference, each row's influence on every label's AUROC is summed over labels, so the
 *   covariance between labels measured on the same images is included; with one label this is
 *   exactly DeLong's variance S10/m + S01/n.
 *
 * Written here because no maintained JS package implements DeLong's test; the reference values come
 * from an independent numpy implementation (test/golden/metrics_reference.py).
 */
import erfc = require("@stdlib/math-base-special-erfc");
import { InputError, describeValue } from "../util/errors";
import { interval, resampleLabels, resampleSettings, rowMean, type BootstrapOptions } from "./bootstrap";
import type { ScoredSet } from "./matrix";
import { evaluateRanked, missingClass, rankSet, type Evaluation, type RankedSet } from "./metrics";
import type { RankedLabel } from "./ranking";

/** B - A for one metric, with its bootstrap interval and two-sided bootstrap p-value. */
export interface Difference {
  a: number;
  b: number;
  diff: number;
  lower: number;
  upper: number;
  pBootstrap: number;
}

/** AUROC difference, with DeLong's test as well (null where a label has fewer than 2 of a class). */
export interface AurocDifference extends Difference {
  delong: { z: number; variance: number; p: number } | null;
}

/** One label's differences (null where the test set lacks one of its classes). */
export interface LabelDifference {
  name: string;
  auroc: AurocDifference | null;
  auprc: Difference | null;
}

export interface Comparison {
  macro: { auroc: AurocDifference; auprc: Difference };
  perLabel: LabelDifference[];
  /** One label's differences: `comparison.label("Edema")`. */
  label(name: string): LabelDifference;
  /** Labels left out (a class missing in the test set). */
  leftOut: Evaluation["leftOut"];
  /** Labels in the macro DeLong test (those with at least 2 positives and 2 negatives). */
  delongLabels: string[];
  n: number;
  alpha: number;
  seed: number;
}

/**
 * Compares two models' scores on the same test set: `compare(baseline.test, ours.test, { seed: 1 })`.
 * Differences are B - A. Both sets must have the same labels (an InputError says where not).
 */
export function compare(a: ScoredSet, b: ScoredSet, opts: BootstrapOptions = {}): Comparison {
  const { n, seed, alpha } = resampleSettings(opts);
  const setA = rankSet(a.yTrue, a.yScore, "a.");
  const setB = rankSet(b.yTrue, b.yScore, "b.");
  sameLabels(setA, setB);
  const pointA = evaluateRanked(setA, opts);
  const pointB = evaluateRanked(setB, { quiet: true });
  const labels = setA.ranked.map((r, j) => (missingClass(r) ? -1 : j)).filter((j) => j >= 0);
  const L = labels.length;
  const [drawsA, drawsB] = resampleLabels([setA, setB], labels, n, seed);

  const diffOf = (pa: number, pb: number, samples: Float64Array): Difference => {
    const ci = interval(pb - pa, samples, alpha);
    return { a: pa, b: pb, diff: pb - pa, lower: ci.lower, upper: ci.upper, pBootstrap: bootstrapP(samples) };
  };
  const delong = labels.map((j) => delongLabel(setA.ranked[j], setB.ranked[j], setA.y.rows));
  const perLabel: LabelDifference[] = pointA.perLabel.map((m, j) => {
    const l = labels.indexOf(j);
    if (l < 0) return { name: m.name, auroc: null, auprc: null };
    const d = (x: Float64Array, y: Float64Array) =>
      Float64Array.from({ length: n }, (_, r) => y[r * L + l] - x[r * L + l]);
    const mb = pointB.perLabel[j];
    const test = delong[l];
    return {
      name: m.name,
      auroc: {
        ...diffOf(m.auroc as number, mb.auroc as number, d(drawsA.auroc, drawsB.auroc)),
        delong: test ? normalTest(test.diff, test.variance) : null,
      },
      auprc: diffOf(m.auprc as number, mb.auprc as number, d(drawsA.auprc, drawsB.auprc)),
    };
  });
  const macroDiff = (x: Float64Array, y: Float64Array) =>
    Float64Array.from({ length: n }, (_, r) => rowMean(y, r, L) - rowMean(x, r, L));
  const usable = delong.filter((t): t is DelongLabel => t !== null);
  const label = (name: string): LabelDifference => {
    const found = perLabel.find((l) => l.name === name);
    if (!found)
      throw new InputError({
        field: "label",
        expected: `one of ${perLabel.map((l) => l.name).join(", ")}`,
        found: describeValue(name),
      });
    return found;
  };
  return {
    macro: {
      auroc: {
        ...diffOf(pointA.macroAuroc, pointB.macroAuroc, macroDiff(drawsA.auroc, drawsB.auroc)),
        delong: macroDelong(usable, setA.y.rows),
      },
      auprc: diffOf(pointA.macroAuprc, pointB.macroAuprc, macroDiff(drawsA.auprc, drawsB.auprc)),
    },
    perLabel,
    label,
    leftOut: pointA.leftOut,
    delongLabels: labels.filter((_, l) => delong[l] !== null).map((j) => setA.y.names[j]),
    n,
    alpha,
    seed,
  };
}

function sameLabels(a: RankedSet, b: RankedSet): void {
  if (a.y.rows !== b.y.rows || a.y.cols !== b.y.cols) {
    throw new InputError({
      field: "b.yTrue",
      expected: `the test set of a (${a.y.rows} rows x ${a.y.cols} labels)`,
      found: `${b.y.rows} rows x ${b.y.cols} labels`,
    });
  }
  for (let i = 0; i < a.y.values.length; i++) {
    if (a.y.values[i] !== b.y.values[i]) {
      throw new InputError({
        field: "b.yTrue",
        row: Math.floor(i / a.y.cols) + 1,
        column: a.y.names[i % a.y.cols],
        expected: `the same labels as a (${a.y.values[i]}): both models must be scored on the same test set in the same order`,
        found: String(b.y.values[i]),
      });
    }
  }
}

/**
 * Two-sided bootstrap p-value of "no difference": twice the smaller tail of the resampled
 * differences beyond zero, with the +1 correction of Davison & Hinkley so it is never 0.
 */
function bootstrapP(diffs: Float64Array): number {
  let below = 0;
  let above = 0;
  let count = 0;
  for (const d of diffs) {
    if (Number.isNaN(d)) continue;
    count++;
    if (d <= 0) below++;
    if (d >= 0) above++;
  }
  return Math.min(1, (2 * (Math.min(below, above) + 1)) / (count + 1));
}

function normalTest(diff: number, variance: number): { z: number; variance: number; p: number } {
  if (!(variance > 0)) return { z: 0, variance: 0, p: diff === 0 ? 1 : 0 };
  const z = diff / Math.sqrt(variance);
  return { z, variance, p: erfc(Math.abs(z) / Math.SQRT2) };
}

/** One label's AUROC difference and each row's influence on it (0 for ignored rows). */
interface DelongLabel {
  diff: number;
  variance: number;
  influence: Float64Array;
}

/**
 * Structural components of one model on one label, scaled into per-row influences: for a positive,
 * (V10 - AUC) / sqrt(m (m - 1)) with V10 the share of negatives scored lower (ties one half); for a
 * negative, (V01 - AUC) / sqrt(n (n - 1)) with V01 the share of positives scored higher. The sum of
 * squares is DeLong's variance, and the sum of cross products his covariance.
 */
function influence(r: RankedLabel, rows: number): { auc: number; psi: Float64Array } {
  const { order, positive, blockEnd, positives: m, negatives: n } = r;
  const v = new Float64Array(order.length);
  let tp = 0;
  let fp = 0;
  let start = 0;
  let area = 0;
  for (let k = 0; k < order.length; k++) {
    if (positive[k] === 1) tp++;
    else fp++;
    if (blockEnd[k] === 1) {
      let dTp = 0;
      for (let t = start; t <= k; t++) dTp += positive[t];
      const dFp = k - start + 1 - dTp;
      const tp0 = tp - dTp;
      for (let t = start; t <= k; t++) v[t] = positive[t] === 1 ? (n - fp + dFp / 2) / n : (tp0 + dTp / 2) / m;
      area += dFp * (tp0 + dTp / 2);
      start = k + 1;
    }
  }
  const auc = area / (m * n);
  const psi = new Float64Array(rows);
  const sp = Math.sqrt(m * (m - 1));
  const sn = Math.sqrt(n * (n - 1));
  for (let k = 0; k < order.length; k++) psi[order[k]] = (v[k] - auc) / (positive[k] === 1 ? sp : sn);
  return { auc, psi };
}

function delongLabel(a: RankedLabel, b: RankedLabel, rows: number): DelongLabel | null {
  if (a.positives < 2 || a.negatives < 2) return null;
  const ia = influence(a, rows);
  const ib = influence(b, rows);
  const psi = new Float64Array(rows);
  let variance = 0;
  for (let i = 0; i < rows; i++) {
    psi[i] = ib.psi[i] - ia.psi[i];
    variance += psi[i] * psi[i];
  }
  return { diff: ib.auc - ia.auc, variance, influence: psi };
}

function macroDelong(labels: DelongLabel[], rows: number): AurocDifference["delong"] {
  if (labels.length === 0) return null;
  const L = labels.length;
  let diff = 0;
  for (const t of labels) diff += t.diff / L;
  let variance = 0;
  for (let i = 0; i < rows; i++) {
    let phi = 0;
    for (const t of labels) phi += t.influence[i];
    variance += (phi / L) ** 2;
  }
  return normalTest(diff, variance);
}
