/**
 * Missing view and patient position: filled by the most frequent value (`mode`) or by a seeded random
 * forest fitted where the value is known (`model`; the authors used scikit-learn's IterativeImputer
 * with a RandomForestRegressor on just these two columns).
 */
import { InputError } from "../util/errors";
import { Rng } from "../util/random";
import type { ImputePolicy } from "./types";
import { SPLIT_NAMES } from "./types";
import type { Reporter } from "./buildReport";
import type { EhrFields } from "./ehrFields";
import { age5Bin } from "./features";
import { RandomForest } from "./randomForest";

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

/** What the impute step works on: the kept rows, their codes (filled in place) and predictors. */
export interface ImputeInputs {
  rows: Int32Array;
  /** Per metadata row: VIEW_CODES / POSITION_CODES index, -1 missing. */
  viewCode: Int8Array;
  posCode: Int8Array;
  /** Per metadata row: split code (index in SPLIT_NAMES) and study_id. */
  split: Int8Array;
  study: Float64Array;
  ehr: EhrFields;
  /** The metadata file (named when nothing is known to impute from). */
  file: string;
}

export interface ImputeSettings {
  impute: ImputePolicy;
  seed: number;
  imputeSample: number;
}

const TRAIN = SPLIT_NAMES.indexOf("train");

/**
 * Step "impute (<policy>)": fills the missing view and position codes of the kept rows in place, or,
 * under `drop`, leaves their images out. Returns the rows kept and which values were missing.
 */
export function imputeViewPosition(
  x: ImputeInputs,
  o: ImputeSettings,
  rep: Reporter,
): { rows: Int32Array; viewMissing: Uint8Array; posMissing: Uint8Array } {
  const { viewCode, posCode, split } = x;
  let rows = x.rows;
  const n = viewCode.length;
  const viewMissing = new Uint8Array(n);
  const posMissing = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    viewMissing[i] = viewCode[i] < 0 ? 1 : 0;
    posMissing[i] = posCode[i] < 0 ? 1 : 0;
  }
  if (o.impute === "drop") {
    rows = rep.filter("impute (drop)", rows, (i) =>
      viewMissing[i] && posMissing[i]
        ? "missing view and position"
        : viewMissing[i]
          ? "missing view"
          : posMissing[i]
            ? "missing position"
            : undefined,
    );
    return { rows, viewMissing, posMissing };
  }
  // A loop: Int32Array's filter with a callback is several times slower on 377k rows.
  const train = new Int32Array(rows.length);
  let inTrain = 0;
  for (const i of rows) if (split[i] === TRAIN) train[inTrain++] = i;
  const trainRows = train.subarray(0, inTrain);
  const fitRows = trainRows.some((i) => !viewMissing[i]) && trainRows.some((i) => !posMissing[i]) ? trainRows : rows;
  for (const [name, codes] of [
    ["view", viewCode],
    ["position", posCode],
  ] as const) {
    if (!fitRows.some((i) => codes[i] >= 0) && rows.some((i) => codes[i] < 0)) {
      throw new InputError({
        file: x.file,
        column: name === "view" ? "ViewPosition" : "PatientOrientationCodeSequence_CodeMeaning",
        expected: `some known ${name} values to impute the missing ones from`,
        found: "none",
      });
    }
  }
  if (o.impute === "mode") {
    rep.imputed.view = fillMode(viewCode, rows, fitRows, VIEW_CODES.length);
    rep.imputed.position = fillMode(posCode, rows, fitRows, POSITION_CODES.length);
  } else {
    const { age, male, icu, died } = x.ehr;
    const context = studyContext(rows, x.study, viewCode, posCode);
    const base = (i: number) => [age5Bin(age[i]), male[i], icu[i], died[i]];
    const observedPos = Int8Array.from(posCode);
    const observedView = Int8Array.from(viewCode);
    rep.imputed.view = fillForest(
      viewCode,
      rows,
      fitRows,
      (i) => [observedPos[i] + 1, ...base(i), ...context.views(i)],
      { seed: o.seed, sample: o.imputeSample },
    );
    rep.imputed.position = fillForest(
      posCode,
      rows,
      fitRows,
      (i) => [observedView[i] + 1, ...base(i), ...context.positions(i)],
      { seed: o.seed + 1, sample: o.imputeSample },
    );
  }
  rep.note(`impute (${o.impute})`, "images", rows.length, rows.length);
  return { rows, viewMissing, posMissing };
}

/** For each image, which views / positions the other images of its study have (0/1 flags). */
function studyContext(rows: Int32Array, study: Float64Array, viewCode: Int8Array, posCode: Int8Array) {
  const views = new Map<number, number[]>();
  const positions = new Map<number, number[]>();
  for (const i of rows) {
    if (viewCode[i] >= 0) (views.get(study[i]) ?? views.set(study[i], []).get(study[i])!).push(i);
    if (posCode[i] >= 0) (positions.get(study[i]) ?? positions.set(study[i], []).get(study[i])!).push(i);
  }
  const flags = (m: Map<number, number[]>, codes: Int8Array, k: number, i: number) => {
    const f = new Array(k).fill(0);
    for (const j of m.get(study[i]) ?? []) if (j !== i) f[codes[j]] = 1;
    return f;
  };
  return {
    views: (i: number) => flags(views, viewCode, VIEW_CODES.length, i),
    positions: (i: number) => flags(positions, posCode, POSITION_CODES.length, i),
  };
}
