/**
 * The engine behind every ranking metric here: one label's rows sorted once by descending score,
 * then AUROC and average precision in a single O(n) sweep over the tie blocks, optionally with an
 * integer multiplicity per row.
 *
 * Written by hand rather than taken from a library: no maintained JS package computes AUROC / AP
 * with scikit-learn's tie handling, and a bootstrap resample is just a vector of multiplicities, so
 * 1000 resamples cost 1000 sweeps over pre-sorted arrays instead of 1000 sorts (bench/evaluate.ts).
 */
import { IGNORE_LABEL } from "../util/labels";

/** One label's evaluable rows (label 0 or 1) in descending score order. */
export interface RankedLabel {
  /** Row indices (into the full matrix) by descending score; ignored rows are absent. */
  order: Int32Array;
  /** 1 where the row at that position is a positive. */
  positive: Uint8Array;
  /** 1 where the next position has a different score (the last one of a tie block). */
  blockEnd: Uint8Array;
  positives: number;
  negatives: number;
  /** Rows whose label is IGNORE_LABEL. */
  ignored: number;
}

/** Ranks one label: `y[i]` in {0, 1, IGNORE_LABEL} and `s[i]` finite (checked by the caller). */
export function rankLabel(y: ArrayLike<number>, s: ArrayLike<number>): RankedLabel {
  const n = y.length;
  let kept = 0;
  for (let i = 0; i < n; i++) if (y[i] !== IGNORE_LABEL) kept++;
  const order = new Int32Array(kept);
  for (let i = 0, k = 0; i < n; i++) if (y[i] !== IGNORE_LABEL) order[k++] = i;
  order.sort((a, b) => s[b] - s[a]);
  const positive = new Uint8Array(kept);
  const blockEnd = new Uint8Array(kept);
  let positives = 0;
  for (let k = 0; k < kept; k++) {
    const p = y[order[k]] === 1 ? 1 : 0;
    positive[k] = p;
    positives += p;
    blockEnd[k] = k === kept - 1 || s[order[k + 1]] !== s[order[k]] ? 1 : 0;
  }
  return { order, positive, blockEnd, positives, negatives: kept - positives, ignored: n - kept };
}

/** AUROC and average precision of one sweep; NaN when the (weighted) set lacks a class. */
export interface SweepResult {
  auroc: number;
  auprc: number;
  positives: number;
  negatives: number;
}

/**
 * AUROC (Mann-Whitney with ties counted one half, which is scikit-learn's trapezoidal ROC area) and
 * average precision exactly as scikit-learn's `average_precision_score`:
 * AP = sum over distinct thresholds of (R_t - R_{t-1}) * P_t, a tie block being one threshold.
 * `weights[row]` is how often a row counts (a bootstrap resample); absent means once.
 */
export function sweep(r: RankedLabel, weights?: ArrayLike<number>): SweepResult {
  const { order, positive, blockEnd } = r;
  let tp = 0;
  let fp = 0;
  let tp0 = 0;
  let fp0 = 0;
  let area = 0;
  let ap = 0;
  for (let k = 0; k < order.length; k++) {
    const w = weights === undefined ? 1 : weights[order[k]];
    if (positive[k] === 1) tp += w;
    else fp += w;
    if (blockEnd[k] === 1) {
      const dTp = tp - tp0;
      // Negatives of this block rank below every earlier positive and tie with this block's positives.
      area += (fp - fp0) * (tp0 + dTp / 2);
      if (dTp > 0) ap += (dTp * tp) / (tp + fp);
      tp0 = tp;
      fp0 = fp;
    }
  }
  return {
    auroc: tp > 0 && fp > 0 ? area / (tp * fp) : NaN,
    auprc: tp > 0 && fp > 0 ? ap / tp : NaN,
    positives: tp,
    negatives: fp,
  };
}
