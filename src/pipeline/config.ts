/**
 * The configuration of a study: where the data comes from, how the cohort is built, how each model
 * is pretrained and judged. One validated object (a JSON or YAML file fills it); every mistake is
 * found here, before any long work starts, and named by its path in the file (`pretrain.epochs`).
 */
import * as fs from "fs";
import type { CohortOptions } from "../cohort/types";
import { findInputs } from "../cohort/readTables";
import { resolveOptions } from "../cohort/buildOptions";
import { resolveFeatures } from "../cohort/features";
import type { RunSpec } from "../eval/schedule";
import type { DownstreamPreset } from "../eval/protocol";
import { checkCGrid, LOGISTIC_C_GRID } from "../eval/logistic";
import type { PretrainConfig } from "../train/config";
import { pretrainConfig } from "../train/config";
import { didYouMean } from "../util/closest";
import { describeValue, InputError } from "../util/errors";
import { checkBoolean, checkInt, checkNumber, checkOneOf, checkString } from "../util/validate";
import { blamed, ConfigLayer, layeredConfig } from "./configLayers";
import { isRunName, RUN_NAME_RULE } from "./runFolder";
import type { EncoderInit } from "./encoderInit";
import { SLURM_DEFAULTS, SlurmOptions, slurmOptions } from "./slurm/options";

/** One encoder of the study: a name and the EHR features fused during pretraining ([] = vanilla MSN). */
export interface ModelSpec {
  name: string;
  features: string | string[];
  /** "pretrain" (default): pretrained by the study; "random": untrained, seeded; { weights }: read from a ViT weight file. */
  init?: EncoderInit;
  /** The pretraining method (default `pretrain.method`, else "msn"); "dino" and "mae" fuse no features. */
  method?: PretrainConfig["method"];
  /** Seed of this model's initial weights and pretraining (default: the study's `pretrain.seed`, else `seed`); several seeds show the spread. */
  seed?: number;
}

export interface StudyConfig {
  /** Run folder name: everything goes to `<runsDir>/<name>/`. */
  name: string;
  runsDir: string;
  /** One seed for the synthetic data, pretraining, probes and t-SNE (each stage derives its own stream). */
  seed: number;
  /** Synthetic data (`synth`) written into the run folder, or the user's MIMIC folders. */
  data:
    | { synth: { patients: number; imageLongSide: number } }
    | { mimicCxr: string; mimicIv: string; images?: string; imageLayout?: "mimic" | "flat" };
  /** `cohort.build` options other than the folders. */
  cohort: Omit<CohortOptions, "mimicCxr" | "mimicIv" | "images" | "imageLayout" | "quiet">;
  /** Shorter side of the cached images (512: pretraining crops as from the authors' 512 px images; evaluation resizes to 256). */
  cacheShortSide: number;
  /**
   * An image that cannot be decoded: "error" stops and names it; "skip" leaves it out of the image
   * cache, counted in the cache's report.
   */
  onBadImage: "error" | "skip";
  /** Pretraining hyperparameters shared by every model (the authors' defaults for what is not given). */
  pretrain: Partial<PretrainConfig>;
  models: ModelSpec[];
  /** The model the others are tested against (default: the first). */
  baseline: string;
  /** `preset: paper`: every downstream setting of the paper (eval's PAPER_DOWNSTREAM: augmented, re-embedded every epoch). */
  probe: {
    runs?: RunSpec[];
    maxEpochs: number;
    patience: number;
    bootstrap: number;
    augment: boolean;
    preset?: DownstreamPreset;
    /**
     * Probe with scikit-learn's StandardScaler + LogisticRegression(C) fitted to convergence, C chosen on
     * validation among these (eval/logistic.ts), instead of the authors' Adam runs: for studies of
     * thousands of images, where the authors' protocol stops far from the optimum (docs/demo-study.md).
     */
    logisticC?: number[];
  };
  finetune: { fractions: number[]; subsets: number; maxEpochs: number; patience: number };
  /** t-SNE of single-label training samples (the paper's Figure 3), or false. */
  tsne: false | { perplexity: number; maxPoints: number };
  /**
   * External validation (the paper's Table 4): the CheXpert folder (the MIMIC-trained probe applied to
   * its test split) and the NIH ChestX-ray14 folder (a probe trained and tested on it); each optional.
   */
  external: { chexpert?: string; nih?: string };
  /** What each job asks a Slurm cluster for, when the study is submitted with `--slurm`. */
  slurm: SlurmOptions;
  /** The weight file (and head count) of the supervised ImageNet row of `sweep --table 3`; without it the row is left out. */
  imagenet?: { weights: string; heads?: number };
}

/** The paper's Table 3: vanilla MSN and every EHR feature set, singles then groups. */
export const TABLE3_MODELS: ModelSpec[] = [
  { name: "MSN", features: [] },
  { name: "MSN+sex", features: "sex" },
  { name: "MSN+age", features: "age_norm" },
  { name: "MSN+view", features: "view" },
  { name: "MSN+position", features: "position" },
  { name: "MSN+ICU", features: "icu" },
  { name: "MSN+mortality", features: "mortality" },
  { name: "MSN+demographics", features: "socio-norm" },
  { name: "MSN+scan", features: "image_meta" },
  { name: "MSN+inpatient", features: "clinical" },
  { name: "MSN+demographics+scan", features: "socio-age-norm-image-meta" },
  { name: "MSN+demographics+inpatient", features: "socio-age-norm-clinical" },
  { name: "MSN+scan+inpatient", features: "image-meta-clinical" },
  { name: "MSN+all", features: "all-age-norm" },
];

/** The untrained encoder of the study's geometry: the floor every pretraining must beat. */
export const RANDOM_MODEL: ModelSpec = { name: "Random", features: [], init: "random" };

/** The self-supervised baselines of Table 3, pretrained by the study on its images like MSN. */
export const DINO_MODEL: ModelSpec = { name: "DINO", features: [], method: "dino" };
export const MAE_MODEL: ModelSpec = { name: "MAE", features: [], method: "mae" };

/**
 * The paper's whole Table 3 in its order: the random floor, the supervised ImageNet encoder (only
 * when its weight file is given), DINO, MAE, vanilla MSN and the 13 EHR variants. The others are
 * tested against vanilla MSN ("MSN").
 */
export function table3Models(imagenet?: { weights: string; heads?: number }): ModelSpec[] {
  const supervised: ModelSpec[] = imagenet ? [{ name: "ImageNet", features: [], init: { ...imagenet } }] : [];
  return [RANDOM_MODEL, ...supervised, DINO_MODEL, MAE_MODEL, ...TABLE3_MODELS];
}

export const STUDY_DEFAULTS: StudyConfig = {
  name: "study",
  runsDir: "runs",
  seed: 1,
  data: { synth: { patients: 500, imageLongSide: 512 } },
  cohort: {},
  // One cache for pretraining (crops as from the authors' 512 px images) and evaluation (resized to 256 as PIL).
  cacheShortSide: 512,
  onBadImage: "error",
  pretrain: {},
  models: [TABLE3_MODELS[0], TABLE3_MODELS[7]],
  baseline: "MSN",
  probe: { maxEpochs: 50, patience: 5, bootstrap: 1000, augment: false },
  finetune: { fractions: [0.01, 0.05, 0.1], subsets: 5, maxEpochs: 50, patience: 5 },
  tsne: { perplexity: 30, maxPoints: 5000 },
  external: {},
  slurm: SLURM_DEFAULTS,
};

/**
 * The demo: about 2,000 synthetic images, vanilla MSN against MSN with demographics, on a ViT
 * small enough for a 2-core machine (ViT-Tiny width and heads, 6 blocks, 112 px views with 48 px
 * focal views), so that the whole study finishes in minutes. Sizes and the split differ from the
 * authors; the method does not.
 */
export const DEMO_CONFIG: Partial<StudyConfig> = {
  name: "demo",
  data: { synth: { patients: 350, imageLongSide: 384 } },
  // MIMIC's official proportions would leave ~30 validation images at this size: a patient-level
  // random split gives the probe's model selection and the test enough images to mean something.
  cohort: { split: { validate: 0.15, test: 0.2, seed: 1 } },
  cacheShortSide: 128,
  pretrain: {
    vit: "tiny",
    layers: 6,
    imageSize: 112,
    focalSize: 48,
    batchSize: 32,
    epochs: 6,
    lr: 5e-4,
    checkpointEvery: 20,
  },
  // At ~1,300 training images the authors' probe (Adam, 50 epochs at most, best epoch on 259 validation
  // images) cannot tell a pretrained encoder from an untrained one; the converged logistic probe can
  // (docs/demo-study.md).
  probe: { ...STUDY_DEFAULTS.probe, logisticC: [...LOGISTIC_C_GRID] },
  models: [TABLE3_MODELS[0], TABLE3_MODELS[7], RANDOM_MODEL],
  tsne: { perplexity: 30, maxPoints: 2000 },
};

/**
 * The demo's models with `seeds` pretraining seeds of vanilla MSN: `MSN` (the study's seed), then
 * `MSN-seed2`, `MSN-seed3`, ... (seeds 2, 3, ...), MSN with demographics and the untrained encoder.
 */
export function demoModels(seeds = 1): ModelSpec[] {
  const more = Array.from({ length: seeds - 1 }, (_, k) => ({ name: `MSN-seed${k + 2}`, features: [], seed: k + 2 }));
  return [TABLE3_MODELS[0], ...more, TABLE3_MODELS[7], RANDOM_MODEL];
}

const TOP_KEYS = [...Object.keys(STUDY_DEFAULTS), "imagenet"];

/**
 * The full, checked configuration: defaults, then `given` (e.g. a preset), then `overrides`
 * (e.g. a config file, then flags). `file` names the config file in error messages.
 */
export function studyConfig(given: Record<string, unknown>, file?: string): StudyConfig {
  const err = (field: string, expected: string, found: unknown, hint?: string) =>
    new InputError({ file, field, expected, found: describeValue(found), hint });
  unknownKeys(given, TOP_KEYS, "", file);
  const c = { ...STUDY_DEFAULTS, ...given } as StudyConfig;

  if (!isRunName(c.name)) throw err("name", RUN_NAME_RULE, c.name);
  checkString(c.runsDir, "runsDir", { file });
  checkInt(c.seed, "seed", { file });
  checkInt(c.cacheShortSide, "cacheShortSide", { min: 16, file });
  checkOneOf(c.onBadImage, "onBadImage", ["error", "skip"], { file });

  c.data = checkData(c.data, file);
  unknownKeys(
    c.cohort as Record<string, unknown>,
    ["uncertain", "impute", "stayMatch", "split", "pretrainSplit", "ageBounds", "seed", "imputeSample", "checkImages"],
    "cohort.",
    file,
  );
  // The cohort's own checks (policies, split, bounds) on a stand-in for the folders checked above.
  withPrefix("cohort.", file, () => resolveOptions({ ...c.cohort, mimicCxr: ".", mimicIv: "." }));

  if (c.pretrain === null || typeof c.pretrain !== "object")
    throw err("pretrain", "a mapping of pretraining options", c.pretrain);
  withPrefix("pretrain.", file, () => pretrainConfig(c.pretrain));
  if ("ehrIn" in c.pretrain)
    throw err("pretrain.ehrIn", "no value (each model's features decide it)", c.pretrain.ehrIn);

  // Before the models: `sweep --table 3` puts this file into the ImageNet row.
  if (c.imagenet !== undefined)
    checkWeightFile(objectAt(c.imagenet, "imagenet", file) as StudyConfig["imagenet"] & object, "imagenet", file);
  if (!Array.isArray(c.models) || c.models.length === 0) throw err("models", "a list of { name, features }", c.models);
  const names = new Set<string>();
  c.models.forEach((m, i) => {
    const at = `models[${i}]`;
    if (m === null || typeof m !== "object") throw err(at, "{ name, features }", m);
    unknownKeys(
      m as unknown as Record<string, unknown>,
      ["name", "features", "init", "method", "seed"],
      `${at}.`,
      file,
    );
    if (m.seed !== undefined) checkInt(m.seed, `${at}.seed`, { min: 0, file });
    if (m.init !== undefined && m.init !== "pretrain" && m.features === undefined) m.features = [];
    if (typeof m.name !== "string" || !/^[A-Za-z0-9+._-]+$/.test(m.name))
      throw err(`${at}.name`, "a model name of letters, digits, '+', '.', '_' and '-'", m.name);
    if (names.has(m.name)) throw err(`${at}.name`, "a name no other model has", m.name);
    names.add(m.name);
    const f = m.features;
    if (!(typeof f === "string" || (Array.isArray(f) && f.every((x) => typeof x === "string"))))
      throw err(`${at}.features`, "a feature-set name, a list of feature names, or [] for vanilla MSN", f);
    if (!(Array.isArray(f) && f.length === 0)) withPrefix(`${at}.`, file, () => resolveFeatures(f));
    checkInit(m, at, file);
    checkMethod(m, c.pretrain, at, file);
  });
  c.baseline = given.baseline === undefined ? c.models[0].name : c.baseline;
  if (!names.has(c.baseline))
    throw err(
      "baseline",
      `one of the models (${[...names].join(", ")})`,
      c.baseline,
      didYouMean(String(c.baseline), [...names]),
    );

  const probe = objectAt(c.probe, "probe", file);
  c.probe = { ...STUDY_DEFAULTS.probe, ...(probe.preset === "paper" && { augment: true }), ...probe };
  unknownKeys(
    c.probe,
    ["runs", "maxEpochs", "patience", "bootstrap", "augment", "preset", "logisticC"],
    "probe.",
    file,
  );
  if (c.probe.preset !== undefined) checkOneOf(c.probe.preset, "probe.preset", ["paper"], { file });
  if (c.probe.logisticC !== undefined) {
    withPrefix("probe.", file, () => checkCGrid(c.probe.logisticC!));
    if (c.probe.augment || c.probe.preset !== undefined || c.probe.runs !== undefined)
      throw err(
        "probe.logisticC",
        "no augment, preset or runs with it (the logistic probe replaces the authors' Adam runs)",
        { augment: c.probe.augment, preset: c.probe.preset, runs: c.probe.runs },
      );
  }
  checkInt(c.probe.maxEpochs, "probe.maxEpochs", { min: 1, file });
  checkInt(c.probe.patience, "probe.patience", { min: 1, file });
  checkInt(c.probe.bootstrap, "probe.bootstrap", { min: 1, file });
  checkBoolean(c.probe.augment, "probe.augment", { file });

  c.finetune = { ...STUDY_DEFAULTS.finetune, ...objectAt(c.finetune, "finetune", file) };
  unknownKeys(c.finetune, ["fractions", "subsets", "maxEpochs", "patience"], "finetune.", file);
  if (!Array.isArray(c.finetune.fractions) || c.finetune.fractions.length === 0)
    throw err("finetune.fractions", "a list of fractions in (0, 1]", c.finetune.fractions);
  c.finetune.fractions.forEach((x, i) =>
    checkNumber(x, `finetune.fractions[${i}]`, { min: 0, minExclusive: true, max: 1, file }),
  );
  checkInt(c.finetune.subsets, "finetune.subsets", { min: 1, file });
  checkInt(c.finetune.maxEpochs, "finetune.maxEpochs", { min: 1, file });
  checkInt(c.finetune.patience, "finetune.patience", { min: 1, file });

  if (c.tsne !== false) {
    c.tsne = { ...(STUDY_DEFAULTS.tsne as object), ...objectAt(c.tsne, "tsne", file) } as StudyConfig["tsne"] & object;
    unknownKeys(c.tsne, ["perplexity", "maxPoints"], "tsne.", file);
    checkNumber(c.tsne.perplexity, "tsne.perplexity", { min: 1, minExclusive: true, file });
    checkInt(c.tsne.maxPoints, "tsne.maxPoints", { min: 1, file });
  }

  c.external = objectAt(c.external, "external", file);
  unknownKeys(c.external, ["chexpert", "nih"], "external.", file);
  for (const [k, dir] of Object.entries(c.external)) {
    if (dir === undefined) continue;
    if (typeof dir !== "string" || dir === "" || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new InputError({
        file,
        field: `external.${k}`,
        expected: `the ${k === "nih" ? "NIH ChestX-ray14" : "CheXpert"} folder`,
        found: typeof dir === "string" && dir !== "" ? `no folder at ${dir}` : describeValue(dir),
      });
    }
  }
  c.slurm = slurmOptions(c.slurm, file);
  return c;
}

/**
 * A model's `method`: one of the pretraining methods, only for a model the study pretrains; DINO and
 * MAE fuse no features. Its pretraining settings (the study's with the method) are checked here.
 */
function checkMethod(m: ModelSpec, pretrain: Partial<PretrainConfig>, at: string, file?: string): void {
  if (m.method !== undefined) {
    checkOneOf(m.method, `${at}.method`, ["msn", "dino", "mae"], { file });
    if (m.init !== undefined && m.init !== "pretrain")
      throw new InputError({
        file,
        field: `${at}.method`,
        expected: 'no method: a model with init "random" or { weights } is not pretrained',
        found: describeValue(m.method),
      });
    withPrefix("pretrain.", file, () => pretrainConfig({ ...pretrain, method: m.method }));
  }
  const method = m.method ?? pretrain.method ?? "msn";
  if (method !== "msn" && !(Array.isArray(m.features) && m.features.length === 0))
    throw new InputError({
      file,
      field: `${at}.features`,
      expected: `[] (${method === "dino" ? "DINO" : "MAE"} fuses no EHR features)`,
      found: describeValue(m.features),
    });
}

/** A model's `init`: "pretrain", "random", or { weights: an existing file, heads? }; only pretrained models fuse features. */
function checkInit(m: ModelSpec, at: string, file?: string): void {
  const init = m.init;
  if (init === undefined || init === "pretrain") return;
  const fail = (field: string, expected: string, found: unknown): never => {
    throw new InputError({ file, field: `${at}.${field}`, expected, found: describeValue(found) });
  };
  if (init !== "random") {
    if (init === null || typeof init !== "object" || Array.isArray(init))
      fail("init", '"pretrain", "random" or { weights: "file.safetensors", heads? }', init);
    checkWeightFile(init, `${at}.init`, file);
  }
  if (!(Array.isArray(m.features) && m.features.length === 0))
    fail("features", "[] (only an encoder the study pretrains fuses EHR features)", m.features);
}

/** `{ weights: an existing file, heads? }` at `field`. */
function checkWeightFile(init: { weights: string; heads?: number }, field: string, file?: string): void {
  unknownKeys(init, ["weights", "heads"], `${field}.`, file);
  const w = init.weights;
  if (typeof w !== "string" || !fs.existsSync(w) || !fs.statSync(w).isFile())
    throw new InputError({
      file,
      field: `${field}.weights`,
      expected: "an existing ViT weight file (.safetensors)",
      found: describeValue(w),
    });
  if (init.heads !== undefined) checkInt(init.heads, `${field}.heads`, { min: 1, file });
}

/** Merges config layers: later layers win, nested sections (`pretrain`, `probe`, ...) merge key by key. */
export function mergeConfig(...layers: Record<string, unknown>[]): Record<string, unknown> {
  return layeredConfig(layers.map((values, i) => ({ source: { kind: "preset", name: `layer ${i}` }, values }))).values;
}

/** The checked configuration of config layers (preset, file, flags); an error names the layer that set the value. */
export function layeredStudyConfig(layers: readonly ConfigLayer[]): StudyConfig {
  const config = layeredConfig(layers);
  return blamed(config, () => studyConfig(config.values));
}

function checkData(data: unknown, file?: string): StudyConfig["data"] {
  const d = objectAt(data, "data", file);
  if ("synth" in d) {
    unknownKeys(d, ["synth"], "data.", file);
    const s = { patients: 500, imageLongSide: 512, ...objectAt(d.synth, "data.synth", file) } as {
      patients: number;
      imageLongSide: number;
    };
    unknownKeys(s, ["patients", "imageLongSide"], "data.synth.", file);
    checkInt(s.patients, "data.synth.patients", { min: 1, file });
    checkInt(s.imageLongSide, "data.synth.imageLongSide", { min: 1, file });
    return { synth: s };
  }
  unknownKeys(d, ["mimicCxr", "mimicIv", "images", "imageLayout"], "data.", file);
  for (const k of ["mimicCxr", "mimicIv"] as const) {
    const dir = d[k];
    if (typeof dir !== "string" || dir === "") {
      throw new InputError({
        file,
        field: `data.${k}`,
        expected: "a folder path (or `data.synth` for synthetic data)",
        found: describeValue(dir),
      });
    }
    if (!fs.existsSync(dir)) {
      throw new InputError({
        file,
        field: `data.${k}`,
        expected: "an existing folder",
        found: `nothing at ${dir}`,
        hint: "Point it at your MIMIC download, or use `data: { synth: { patients: 500 } }`.",
      });
    }
  }
  // The MIMIC files themselves (metadata, labels, split, patients, admissions, ICU stays), named when missing.
  withPrefix("data.", file, () => findInputs(d.mimicCxr as string, d.mimicIv as string));
  return d as StudyConfig["data"];
}

function objectAt(v: unknown, field: string, file?: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new InputError({ file, field, expected: "a mapping of options", found: describeValue(v) });
  return v as Record<string, unknown>;
}

function unknownKeys(o: object, known: readonly string[], prefix: string, file?: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      throw new InputError({
        file,
        field: `${prefix}${k}`,
        expected: `one of ${known.map((x) => prefix + x).join(", ")}`,
        found: `the unknown option "${k}"`,
        hint: didYouMean(k, known),
      });
    }
  }
}

/** Runs a layer's own validation and puts the section's path (and the file) in front of the field it names. */
function withPrefix<T>(prefix: string, file: string | undefined, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof InputError) {
      const d = e.details;
      throw new InputError({
        ...d,
        file: d.file ?? file,
        field: d.field !== undefined ? `${prefix}${d.field}` : d.field,
      });
    }
    throw e;
  }
}
