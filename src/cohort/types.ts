/**
 * The cohort contract: what `cohort.build` takes and returns. Other layers (images, train, eval, viz,
 * pipeline) code against these types; the implementation lives in the other files of this folder.
 */
import type { ColumnTable } from "arquero";
import type { DataFrame } from "danfojs-node";
import type { NamedMatrix } from "../util/matrix";

/** The three splits of MIMIC-CXR (names as in `mimic-cxr-2.0.0-split.csv`). */
export type SplitName = "train" | "validate" | "test";
export const SPLIT_NAMES: readonly SplitName[] = ["train", "validate", "test"];

/** A split, the images pretraining may see (`pretrainSplit`), or every row ("all"). */
export type SplitSelector = SplitName | "pretrain" | "all";

/**
 * What an uncertain CheXpert label (-1.0) becomes: `zeros` (the authors' U-Zeros, default), `ones`, or
 * `ignore` (IGNORE_LABEL, masked in losses and metrics). A blank label is always 0.
 */
export type UncertainPolicy = "zeros" | "ones" | "ignore";

/**
 * Missing view / patient position: `model` fits a seeded random forest on the rows where the value is
 * known (as the authors did, with more predictors), `mode` fills the training split's most frequent
 * value, `drop` leaves the row out (counted in the report).
 */
export type ImputePolicy = "model" | "mode" | "drop";

/**
 * How a study is matched to hospital admissions (mortality) and ICU stays:
 * - `date` (default, the authors' rule): the study date lies in [admit date, discharge date], inclusive,
 *   compared as calendar days; overlapping matches prefer the admission that also contains the study's
 *   time of day, then the latest admission;
 * - `datetime`: the study's date and time lie in [admittime, dischtime] (ICU: [intime, outtime]), inclusive;
 * - `last-admission`: mortality is the `hospital_expire_flag` of the subject's last admission whatever its
 *   time (the shortcut of the authors' extract notebook for `hadm_id`), ICU still matched by date.
 */
export type StayMatch = "date" | "datetime" | "last-admission";

/** Where `path` points: `mimic` = `<images>/files/pXX/pNNNNNNNN/sNNNNNNNN/<dicom_id>.jpg`, `flat` = `<images>/<dicom_id>.jpg` (the authors' resized folder). */
export type ImageLayout = "mimic" | "flat";

/** Patient-level random split (instead of a split file; see patientSplit.ts). */
export interface RandomSplit {
  /** Fractions for validate and test (of patients, or of images with `by: "images"`); the rest is train. */
  validate: number;
  test: number;
  /** What the fractions count: "patients" (default) or "images" (as the paper's Table 2). */
  by?: "patients" | "images";
  seed?: number;
}

/**
 * Options of `cohort.build`. One plain object, so that a JSON/YAML config can fill it.
 */
export interface CohortOptions {
  /** Folder of MIMIC-CXR-JPG 2.0.0 (holds mimic-cxr-2.0.0-metadata.csv(.gz), -chexpert, -split). */
  mimicCxr: string;
  /** Folder of MIMIC-IV (v2 layout `hosp/`, `icu/`; or v1 `core/`, `icu/`); not needed with `source`. */
  mimicIv?: string;
  /**
   * MIMIC-IV from a database instead of the `mimicIv` folder, in the layout of mimic-code's build scripts
   * (schemas `mimiciv_hosp`, `mimiciv_icu`): `duckdb:FILE` (a DuckDB file) or
   * `postgres://user[:password]@host[:port]/database`. MIMIC-CXR-JPG is read from `mimicCxr`.
   */
  source?: string;
  /**
   * Which engine applies the rules to the folders: `js` (default; it reads gzipped CSV faster than
   * DuckDB, see bench/cohort.ts) or `duckdb` (the SQL of src/cohort/sql/). A database `source` is always
   * read by the SQL engine. Both give the same cohort and report.
   */
  engine?: "js" | "duckdb";
  /** Root of the JPEG files (default: `mimicCxr`). */
  images?: string;
  /** Default `mimic`. */
  imageLayout?: ImageLayout;
  /** Leave out rows whose JPEG does not exist (counted as "image file missing"); default false. */
  checkImages?: boolean;
  /** Default `zeros`. */
  uncertain?: UncertainPolicy;
  /** Default `model`. */
  impute?: ImputePolicy;
  /** Default `date`. */
  stayMatch?: StayMatch;
  /**
   * `paper` (default for MIMIC): by patient, seeded, with the proportions of images of the paper's
   * Table 2; `official`: `mimic-cxr-2.0.0-split.csv(.gz)` (default for a dataset of `synth.generate`,
   * whose split file is already by patient at the paper's proportions); a path: another split file
   * with `dicom_id` and `split` columns (e.g. the authors' `mimic-cxr-ehr-split.csv`); or a
   * patient-level random split `{ validate, test, by?, seed? }`.
   */
  split?: "paper" | "official" | string | RandomSplit;
  /** Which images pretraining may see: the training split (default) or `all` (the authors). */
  pretrainSplit?: SplitName | "all";
  /**
   * Bounds of the min-max `age_norm`: `fixed` = the authors' [16, 100] (default), `train` = min and max
   * age of the training split, or explicit bounds.
   */
  ageBounds?: "fixed" | "train" | { min: number; max: number };
  /** Seed of the random forest imputer and of random splits; default 24 (the authors' random_state). */
  seed?: number;
  /** Cap on the rows the imputation forest is fitted on (sampled with the seed); default 20000. */
  imputeSample?: number;
  quiet?: boolean;
}

/** One step of the build: rows before and after, and every row left out by reason. */
export interface ReportStep {
  step: string;
  /** The table whose rows are counted: "images" (the cohort's rows) or a MIMIC-IV table whose unusable rows are set aside. */
  table: string;
  rowsIn: number;
  rowsOut: number;
  dropped: Record<string, number>;
}

export interface CohortReport {
  /** The files read and their row counts. */
  inputs: { file: string; rows: number }[];
  steps: ReportStep[];
  /** Totals of the images steps' `dropped`, by reason: every metadata row not in the cohort is counted here. */
  dropped: Record<string, number>;
  /** Values filled in by imputation. */
  imputed: { view: number; position: number };
  /** Problems with the data that did not stop the build (e.g. a patient in two splits); printed when found. */
  warnings?: string[];
  /** The options after defaults. */
  options: Record<string, unknown>;
  /** Short text rendering. */
  text(): string;
}

/** Counts and distributions, free of any id; plain data plus renderings. */
export interface CohortSummary {
  splits: Record<string, { images: number; studies: number; patients: number }>;
  /** Per label and split: positives, uncertain (ignored) and prevalence among the known. */
  labels: { label: string; split: string; positive: number; ignored: number; prevalence: number }[];
  features: {
    age: { split: string; mean: number; sd: number; min: number; max: number }[];
    /** Counts of every categorical value, per split: feature -> value -> split -> count. */
    counts: Record<string, Record<string, Record<string, number>>>;
  };
  text(): string;
  html(): string;
}

/** What the cohort and the external datasets share. */
export interface LabelledDataset {
  /** One row per image: at least `path`, `split` and one column per label. */
  table: ColumnTable;
  /** The label names, in column order. */
  labelNames: readonly string[];
  report: CohortReport;
  /** The rows of one split (a sub-table in table order). */
  split(name: SplitSelector): ColumnTable;
  /** n x labels, row-major, in table order (0, 1 or IGNORE_LABEL). */
  labels(split: SplitSelector): NamedMatrix;
  /** The table (or another) as a danfo DataFrame, for display. */
  toDanfo(table?: ColumnTable): DataFrame;
}

export interface Cohort extends LabelledDataset {
  summary(): CohortSummary;
  /**
   * n x ehr_in EHR features, row-major, in the authors' column order. `spec`: a feature-set name of the
   * spec's table 12.4 (the authors' CSV stems, e.g. "socio-norm", "all-age-norm"), a short name
   * ("sex", "age_norm", "age5", "age10", "view", "position", "mortality", "icu"), or a list of these.
   */
  features(spec: string | readonly string[], split: SplitSelector): NamedMatrix;
  /** Every feature-set name with its ehr_in. */
  featureSets(): { name: string; dim: number; columns: string[] }[];
  /** min/max used for `age_norm`. */
  readonly ageBounds: { min: number; max: number };
}

/** Options of `cohort.chexpert`. */
export interface ChexpertOptions {
  /** Folder holding train.csv / valid.csv / test.csv (or test_labels.csv) and the images. */
  dir: string;
  uncertain?: UncertainPolicy;
}

/** Options of `cohort.nih`. */
export interface NihOptions {
  /** Folder holding Data_Entry_2017.csv, train_val_list.txt, test_list.txt and images/. */
  dir: string;
  /** Folder of the PNGs (default `<dir>/images`). */
  images?: string;
  /** Fraction of train_val patients put in `validate`; default 0.1. */
  validate?: number;
  seed?: number;
}
