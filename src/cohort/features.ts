/**
 * EHR feature encodings and the authors' feature sets (method-reference §12.3-12.4): column names and
 * orders exactly as in their prep notebook, so `ehr_in` and column meaning match their CSVs.
 */
import { didYouMean } from "../util/closest";
import { InputError } from "../util/errors";
import type { NamedMatrix } from "../util/matrix";

/** Right-closed 5-year bins [0, 20, 25, ..., 90, inf) as pandas.cut makes them (age 20 is "<20"). */
export const AGE5 = [
  "<20",
  "20-25",
  "25-30",
  "30-35",
  "35-40",
  "40-45",
  "45-50",
  "50-55",
  "55-60",
  "60-65",
  "65-70",
  "70-75",
  "75-80",
  "80-85",
  "85-90",
  "90+",
] as const;
/** Right-closed 10-year bins [0, 20, 30, ..., 90, inf); the authors' names, starred to differ from AGE5. */
export const AGE10 = ["<20*", "20-30", "30-40", "40-50", "50-60", "60-70", "70-80", "80-90", "90+*"] as const;
/** The authors' one-hot order of the view. */
export const VIEWS = ["PA", "LATERAL", "AP", "LL"] as const;
export const POSITIONS = ["Erect", "Recumbent"] as const;
/** The authors' fixed min-max bounds of age_norm. */
export const AUTHORS_AGE_BOUNDS = { min: 16, max: 100 } as const;

/** The single features ("blocks"), each one or more columns. */
export const FEATURE_BLOCKS = {
  sex: ["male", "female"],
  age_norm: ["age_norm"],
  age5: [...AGE5],
  age10: [...AGE10],
  view: [...VIEWS],
  position: [...POSITIONS],
  mortality: ["alive", "died"],
  icu: ["icu", "not_icu"],
} as const satisfies Record<string, readonly string[]>;
export type FeatureBlock = keyof typeof FEATURE_BLOCKS;

/** The authors' feature-set CSV stems (spec table 12.4) and their blocks, in column order. */
export const FEATURE_SETS: Record<string, readonly FeatureBlock[]> = {
  "meta-gender-only": ["sex"],
  "meta-age-norm-only": ["age_norm"],
  "meta-age5-only": ["age5"],
  "meta-age10-only": ["age10"],
  "meta-view-only": ["view"],
  "meta-orientation-only": ["position"],
  "meta-mortality-only": ["mortality"],
  "meta-icu-only": ["icu"],
  "socio-norm": ["sex", "age_norm"],
  "socio-age5": ["sex", "age5"],
  "socio-age10": ["sex", "age10"],
  image_meta: ["view", "position"],
  clinical: ["mortality", "icu"],
  "socio-age-norm-image-meta": ["sex", "age_norm", "view", "position"],
  "socio-age-norm-clinical": ["sex", "age_norm", "mortality", "icu"],
  "socio-age-5-image-meta": ["sex", "age5", "view", "position"],
  "socio-age-5-clinical": ["sex", "age5", "mortality", "icu"],
  "socio-age-10-image-meta": ["sex", "age10", "view", "position"],
  "socio-age-10-clinical": ["sex", "age10", "mortality", "icu"],
  "image-meta-clinical": ["view", "position", "mortality", "icu"],
  "all-age-norm": ["sex", "age_norm", "view", "position", "mortality", "icu"],
  "all-age-5": ["sex", "age5", "view", "position", "mortality", "icu"],
  "all-age-10": ["sex", "age10", "view", "position", "mortality", "icu"],
};

/** Other accepted spellings. */
const ALIASES: Record<string, string> = {
  age: "age_norm",
  gender: "sex",
  orientation: "position",
  "image-meta": "image_meta",
};

/** The blocks of a feature-set name, a block name, or a list of them (duplicates kept once, first place). */
export function resolveFeatures(spec: string | readonly string[]): FeatureBlock[] {
  const names = typeof spec === "string" ? [spec] : [...spec];
  if (names.length === 0)
    throw new InputError({ field: "features", expected: "at least one feature name", found: "an empty list" });
  const out: FeatureBlock[] = [];
  for (const raw of names) {
    const name = ALIASES[raw] ?? raw;
    const blocks = name in FEATURE_BLOCKS ? [name as FeatureBlock] : FEATURE_SETS[name];
    if (!blocks) {
      throw new InputError({
        field: "features",
        expected: `a feature set (${Object.keys(FEATURE_SETS).join(", ")}) or a feature (${Object.keys(FEATURE_BLOCKS).join(", ")})`,
        found: JSON.stringify(raw),
        hint: didYouMean(raw, [...Object.keys(FEATURE_SETS), ...Object.keys(FEATURE_BLOCKS), ...Object.keys(ALIASES)]),
      });
    }
    for (const b of blocks) if (!out.includes(b)) out.push(b);
  }
  return out;
}

/** The column names of a list of blocks. */
export function featureColumns(blocks: readonly FeatureBlock[]): string[] {
  return blocks.flatMap((b) => [...FEATURE_BLOCKS[b]]);
}

/** Index of the right-closed age bin with these lower edges ([e_k, e_k+1]); ages at or below 20 fall in the first. */
function binOf(age: number, edges: readonly number[]): number {
  let k = 0;
  while (k + 1 < edges.length && age > edges[k + 1]) k++;
  return k;
}
const AGE5_EDGES = [0, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90];
const AGE10_EDGES = [0, 20, 30, 40, 50, 60, 70, 80, 90];

export function age5Bin(age: number): number {
  return binOf(age, AGE5_EDGES);
}
export function age10Bin(age: number): number {
  return binOf(age, AGE10_EDGES);
}

/** The columns of the cohort table the encodings read. */
export interface FeatureInputs {
  age: ArrayLike<number>;
  sex: ArrayLike<string>;
  view: ArrayLike<string>;
  position: ArrayLike<string>;
  icu: ArrayLike<number>;
  mortality: ArrayLike<number>;
}

/** n x columns, row-major, for `blocks`; `age_norm` is (age - min) / (max - min). */
export function encodeFeatures(
  rows: FeatureInputs,
  blocks: readonly FeatureBlock[],
  bounds: { min: number; max: number },
): NamedMatrix {
  const names = featureColumns(blocks);
  const n = rows.age.length;
  const w = names.length;
  const values = new Float32Array(n * w);
  for (let i = 0; i < n; i++) {
    let o = i * w;
    for (const b of blocks) {
      switch (b) {
        case "sex":
          values[o + (rows.sex[i] === "M" ? 0 : 1)] = 1;
          break;
        case "age_norm":
          values[o] = (rows.age[i] - bounds.min) / (bounds.max - bounds.min);
          break;
        case "age5":
          values[o + age5Bin(rows.age[i])] = 1;
          break;
        case "age10":
          values[o + age10Bin(rows.age[i])] = 1;
          break;
        case "view":
          values[o + VIEWS.indexOf(rows.view[i] as (typeof VIEWS)[number])] = 1;
          break;
        case "position":
          values[o + (rows.position[i] === "Erect" ? 0 : 1)] = 1;
          break;
        case "mortality":
          values[o + (rows.mortality[i] ? 1 : 0)] = 1;
          break;
        case "icu":
          values[o + (rows.icu[i] ? 0 : 1)] = 1;
          break;
      }
      o += FEATURE_BLOCKS[b].length;
    }
  }
  return { rows: n, cols: w, names, values };
}
