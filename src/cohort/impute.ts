/**
 * Missing view and patient position: filled by the most frequent value (`mode`) or by a seeded random
 * forest fitted where the value is known (`model`; the authors used scikit-learn's IterativeImputer
 * with a RandomForestRegressor on just these two columns).
 */
import { Rng } from "../util/random";
import { RandomForest } from "./forest";

/** Category codes as the authors' LabelEncoder gives them (alphabetical); -1 = missing. */
export const VIEW_CODES = ["AP", "LATERAL", "LL", "PA"] as const;
export const POSITION_CODES = ["Erect", "Recumbent"] as const;

/**
 * Fills the -1 codes of `rows` with the most frequent code among `fitRows` (ties: the lower code,
 * i.e. alphabetical, as pandas' `mode()[0]`). Returns how many were filled.
 */
export function fillMode(codes: Int8Array, rows: Int32Array, fitRows: Int32Array, k: number): number {
  const counts = new Array(k).fill(0);
  for (const r of fitRows) if (codes[r] >= 0) counts[codes[r]]++;
  const mode = counts.indexOf(Math.max(...counts));
  let filled = 0;
  for (const r of rows) {
    if (codes[r] < 0) {
      codes[r] = mode;
      filled++;
    }
  }
  return filled;
}

export interface ForestImputeOptions {
  seed: number;
  /** Most rows the forest is fitted on (a seeded sample of `fitRows`). */
  sample: number;
}

/**
 * Fills the -1 codes of `rows` with a random forest's prediction from `predictors(row)` (small
 * integers), fitted on the rows of `fitRows` whose code is known. Returns how many were filled.
 */
export function fillForest(
  codes: Int8Array,
  rows: Int32Array,
  fitRows: Int32Array,
  predictors: (row: number) => number[],
  opts: ForestImputeOptions,
): number {
  const missing = Array.from(rows).filter((r) => codes[r] < 0);
  if (missing.length === 0) return 0;
  let known = Array.from(fitRows).filter((r) => codes[r] >= 0);
  if (known.length > opts.sample) {
    const rng = new Rng(opts.seed).fork("sample");
    known = Array.from(rng.permutation(known.length).subarray(0, opts.sample), (i) => known[i]);
  }
  const forest = new RandomForest({ trees: 50, maxDepth: 12, minLeaf: 5, seed: opts.seed }).fit(
    known.map(predictors),
    known.map((r) => codes[r]),
  );
  const predicted = forest.predict(missing.map(predictors));
  missing.forEach((r, i) => (codes[r] = predicted[i]));
  return missing.length;
}
