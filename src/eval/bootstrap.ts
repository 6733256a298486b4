/**
 * Bootstrap confidence intervals of AUROC / AUPRC, as the authors report them: resample the test
 * rows with replacement (1000 times), recompute the macro metrics, and take the percentile interval
 * [P(alpha/2), P(1 - alpha/2)] (their `computing_confidence_intervals` reduces to exactly that).
 *
 * Each resample is a vector of row multiplicities evaluated by `sweep` over labels ranked once, so a
 * resample costs O(rows x labels) instead of a sort per label.
 */
import { InputError, describeValue } from "../util/errors";
import { Rng } from "../util/random";
import type { MatrixLike } from "./matrix";
import { evaluateRanked, missingClass, rankSet, type Evaluation, type MetricOptions, type RankedSet } from "./metrics";
import { sweep } from "./ranking";

/** A point estimate with its confidence interval. */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface BootstrapOptions extends MetricOptions {
  /** Resamples (default 1000, as the authors). */
  n?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
  /** 1 - confidence level (default 0.05: a 95% interval). */
  alpha?: number;
}

export interface BootstrapResult {
  auroc: Interval;
  auprc: Interval;
  perLabel: { name: string; auroc: Interval | null; auprc: Interval | null; positives: number; negatives: number }[];
  /** Labels left out of every macro average (no positive or no negative in the full set). */
  leftOut: Evaluation["leftOut"];
  n: number;
  alpha: number;
  seed: number;
  /** Resamples in which some label drew a single class; that label is left out of their macro average. */
  degenerate: number;
  /** Macro AUROC and AUPRC of every resample (NaN where no label could be evaluated). */
  samples: { auroc: Float64Array; auprc: Float64Array };
}

/** Resampling settings after the checks. */
export interface ResampleSettings {
  n: number;
  seed: number;
  alpha: number;
}

/** Checks n, seed and alpha (InputError naming the option). */
export function resampleSettings(opts: BootstrapOptions): ResampleSettings {
  const n = opts.n ?? 1000;
  const seed = opts.seed ?? 0;
  const alpha = opts.alpha ?? 0.05;
  if (!Number.isInteger(n) || n < 1)
    throw new InputError({ field: "n", expected: "a positive whole number of resamples", found: describeValue(n) });
  if (!Number.isFinite(seed)) throw new InputError({ field: "seed", expected: "a number", found: describeValue(seed) });
  if (!(alpha > 0 && alpha < 1))
    throw new InputError({ field: "alpha", expected: "a number between 0 and 1", found: describeValue(alpha) });
  return { n, seed, alpha };
}

/**
 * Per-label AUROC and AUPRC of every resample for each of `sets` (all with the same rows: the same
 * multiplicities are applied to every set, which is what makes `compare` paired).
 * Result `[set].auroc[b * L + l]` for evaluable label l (index into `labels`), NaN when that
 * resample drew a single class of the label.
 */
export function resampleLabels(
  sets: RankedSet[],
  labels: number[],
  n: number,
  seed: number,
): { auroc: Float64Array; auprc: Float64Array }[] {
  const rows = sets[0].y.rows;
  const L = labels.length;
  const out = sets.map(() => ({ auroc: new Float64Array(n * L), auprc: new Float64Array(n * L) }));
  const rng = new Rng(seed);
  const weights = new Int32Array(rows);
  for (let b = 0; b < n; b++) {
    weights.fill(0);
    for (let i = 0; i < rows; i++) weights[rng.int(rows)]++;
    for (let s = 0; s < sets.length; s++) {
      for (let l = 0; l < L; l++) {
        const m = sweep(sets[s].ranked[labels[l]], weights);
        out[s].auroc[b * L + l] = m.auroc;
        out[s].auprc[b * L + l] = m.auprc;
      }
    }
  }
  return out;
}

/** Mean of the non-NaN entries of row b of a [n x L] array; NaN when there are none. */
export function rowMean(x: Float64Array, b: number, L: number): number {
  let sum = 0;
  let count = 0;
  for (let l = 0; l < L; l++) {
    const v = x[b * L + l];
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
  }
  return count > 0 ? sum / count : NaN;
}

/**
 * The q-th percentile (0-100) of the non-NaN values, interpolated linearly between order
 * statistics as numpy's default `np.percentile`.
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  const xs = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[]).sort();
  if (xs.length === 0) return NaN;
  const h = ((xs.length - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, xs.length - 1);
  return xs[lo] + (h - lo) * (xs[hi] - xs[lo]);
}

/** Percentile interval of `samples` around `estimate`. */
export function interval(estimate: number, samples: ArrayLike<number>, alpha: number): Interval {
  return { estimate, lower: percentile(samples, (100 * alpha) / 2), upper: percentile(samples, 100 * (1 - alpha / 2)) };
}

/**
 * Bootstrap percentile CIs of macro (and per-label) AUROC and AUPRC, resampling rows with
 * replacement: `bootstrapCi(yTrue, yScore, { n: 1000, seed: 1 })`.
 */
export function bootstrapCi(yTrue: MatrixLike, yScore: MatrixLike, opts: BootstrapOptions = {}): BootstrapResult {
  const { n, seed, alpha } = resampleSettings(opts);
  const set = rankSet(yTrue, yScore);
  const point = evaluateRanked(set, opts);
  const labels = set.ranked.map((r, j) => (missingClass(r) ? -1 : j)).filter((j) => j >= 0);
  const L = labels.length;
  const [draws] = resampleLabels([set], labels, n, seed);
  const macro = { auroc: new Float64Array(n), auprc: new Float64Array(n) };
  let degenerate = 0;
  for (let b = 0; b < n; b++) {
    macro.auroc[b] = rowMean(draws.auroc, b, L);
    macro.auprc[b] = rowMean(draws.auprc, b, L);
    for (let l = 0; l < L; l++) {
      if (Number.isNaN(draws.auroc[b * L + l])) {
        degenerate++;
        break;
      }
    }
  }
  if (degenerate > 0 && !opts.quiet) {
    console.warn(
      `ehr-msn: in ${degenerate} of ${n} resamples some label drew a single class and was left out of that resample's macro average`,
    );
  }
  const labelSamples = (x: Float64Array, l: number) => Float64Array.from({ length: n }, (_, b) => x[b * L + l]);
  const perLabel = point.perLabel.map((m, j) => {
    const l = labels.indexOf(j);
    return {
      name: m.name,
      positives: m.positives,
      negatives: m.negatives,
      auroc: l < 0 ? null : interval(m.auroc as number, labelSamples(draws.auroc, l), alpha),
      auprc: l < 0 ? null : interval(m.auprc as number, labelSamples(draws.auprc, l), alpha),
    };
  });
  return {
    auroc: interval(point.macroAuroc, macro.auroc, alpha),
    auprc: interval(point.macroAuprc, macro.auprc, alpha),
    perLabel,
    leftOut: point.leftOut,
    n,
    alpha,
    seed,
    degenerate,
    samples: macro,
  };
}
