/**
 * `pretrain`: a pretraining run on a cohort (or any BatchSource), from options to a trained model.
 * The shared loop is train/loop.ts; MSN's step is train/msnMethod.ts.
 */
import * as path from "path";
import type { Cohort, SplitSelector } from "../cohort/types";
import { datasetCache } from "../images/datasetCache";
import type { ImageCache } from "../images/types";
import type { DinoModel } from "../model/dino";
import type { MaeModel } from "../model/mae";
import { MsnModel } from "../model/msn";
import { VisionTransformer } from "../model/vit";
import { InputError } from "../util/errors";
import { AUTHORS_DEFAULTS, PretrainConfig, pretrainConfig, RUN_DEFINING } from "./config";
import { cohortSource, PRETRAIN_CACHE_SHORT_SIDE } from "./data";
import { LoopResult, RunOptions, trainLoop } from "./loop";
import { dinoMethod } from "./dinoMethod";
import { maeMethod } from "./maeMethod";
import { msnMethod } from "./msnMethod";
import { BatchSource } from "./source";
import { ensure as ensureBackend } from "../backend/init";

export { PretrainInterruptedError, TrainingDivergedError } from "./loop";
export type { LoopResult, PretrainCallbacks, PretrainHistory, RunOptions, StepInfo } from "./loop";

export interface PretrainResult<M = MsnModel> extends LoopResult {
  /** The trained model (MSN: target and anchor sides, heads, prototypes; DINO: teacher and student; MAE: encoder and decoder); dispose it when done. */
  model: M;
  /** The encoder used downstream (MSN's target, DINO's teacher, MAE's encoder; part of `model`). */
  encoder: VisionTransformer;
  config: PretrainConfig;
}

export interface PretrainOptions extends Partial<PretrainConfig>, RunOptions {
  /** The cohort to pretrain on (its `split`, default "pretrain"); or give `source`. */
  cohort?: Cohort;
  /** Any BatchSource instead of a cohort (synthetic data, tests). */
  source?: BatchSource;
  /** EHR features fused on the anchor side: a feature-set name ("socio-norm"), feature names (["age_norm", "sex"]), or [] for vanilla MSN (default). */
  features?: string | readonly string[];
  /** The cohort's split to train on (default "pretrain", the cohort's pretraining split). */
  split?: SplitSelector;
  /** An open image cache or its folder; built there from the split's images when absent (default `<dir>/image-cache`, or a temporary folder without `dir`). */
  cache?: ImageCache | string;
  /** Shorter image side when the cache is built (default 512, `PRETRAIN_CACHE_SHORT_SIDE`). */
  cacheShortSide?: number;
}

/**
 * Pretrains an (EHR-)MSN: `pretrain({ cohort, features: "socio-norm", vit: "tiny", epochs: 1 })`.
 * Every hyperparameter of `PretrainConfig` may be given (validated before any work starts); the
 * images come from the image cache (built when needed), the EHR vectors from `cohort.features`.
 * `method: "dino"` or `"mae"` pretrains the DINO or MAE baseline instead (no features).
 */
export async function pretrain(options: PretrainOptions & { method: "dino" }): Promise<PretrainResult<DinoModel>>;
export async function pretrain(options: PretrainOptions & { method: "mae" }): Promise<PretrainResult<MaeModel>>;
export async function pretrain(options: PretrainOptions): Promise<PretrainResult>;
export async function pretrain(options: PretrainOptions): Promise<PretrainResult<AnyModel>> {
  const { cohort, source, features, split, cache, cacheShortSide, dir, resume, callbacks, quiet, signal } = options;
  const known = new Set<string>([...Object.keys(AUTHORS_DEFAULTS), ...RUN_DEFINING]);
  const given = Object.fromEntries(Object.entries(options).filter(([k]) => known.has(k))) as Partial<PretrainConfig>;
  const unknown = Object.keys(options).filter((k) => !known.has(k) && !PRETRAIN_OPTION_KEYS.includes(k));
  if (unknown.length > 0)
    throw new InputError({
      field: unknown[0],
      expected: "a pretraining option",
      found: `an unknown field "${unknown[0]}"`,
    });
  if ((cohort === undefined) === (source === undefined)) {
    throw new InputError({
      field: "cohort",
      expected: "either `cohort` or `source`",
      found: cohort ? "both" : "neither",
    });
  }
  const run: RunOptions = { dir, resume, callbacks, quiet, signal };
  if (source) return pretrainOnSource(given, source, run);
  const cfg = pretrainConfig(given);
  const want = features ?? [];
  // Checked before the (long) cache build: unknown features and a mismatching ehrIn fail here.
  const width = Array.isArray(want) && want.length === 0 ? 0 : cohort!.features(want, split ?? "pretrain").names.length;
  if (given.ehrIn !== undefined && given.ehrIn !== width) {
    throw new InputError({
      field: "ehrIn",
      expected: `${width}, the width of the features ${JSON.stringify(want)}`,
      found: String(given.ehrIn),
    });
  }
  const images = await datasetCache(cohort!, split ?? "pretrain", {
    cache,
    defaultDir: dir ? path.join(dir, "image-cache") : undefined,
    shortSide: cacheShortSide ?? PRETRAIN_CACHE_SHORT_SIDE,
    quiet,
  });
  const data = cohortSource(cohort!, images.cache, {
    features: want,
    split,
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    views: {
      randomSize: cfg.imageSize,
      focalSize: cfg.focalSize,
      // MAE reads one view: no focal crops to cut.
      focalViews: cfg.method === "mae" ? 0 : cfg.focalViews,
      antialias: cfg.antialiasCrops,
      channels: cfg.channels as 1 | 3,
    },
  });
  if (!quiet && (data.missing > 0 || data.leftOutPerEpoch > 0)) {
    console.warn(
      `pretrain: ${data.missing} image(s) of the split are not in the cache (see its report); ${data.leftOutPerEpoch} image(s) per epoch left out (a last batch of 1 cannot be batch-normalised).`,
    );
  }
  try {
    return await pretrainOnSource(given, data, run);
  } finally {
    if (images.owned) images.cache.close();
  }
}

const PRETRAIN_OPTION_KEYS = [
  "cohort",
  "source",
  "features",
  "split",
  "cache",
  "cacheShortSide",
  "dir",
  "resume",
  "callbacks",
  "quiet",
  "signal",
];

/** The model of any method. */
type AnyModel = MsnModel | DinoModel | MaeModel;

/** Trains on any BatchSource (the cohort glue and tests build one), with MSN or, given `method`, DINO or MAE. */
export async function pretrainOnSource(
  given: Partial<PretrainConfig> & { method: "dino" },
  source: BatchSource,
  run?: RunOptions,
): Promise<PretrainResult<DinoModel>>;
export async function pretrainOnSource(
  given: Partial<PretrainConfig> & { method: "mae" },
  source: BatchSource,
  run?: RunOptions,
): Promise<PretrainResult<MaeModel>>;
export async function pretrainOnSource(
  given: Partial<PretrainConfig>,
  source: BatchSource,
  run?: RunOptions,
): Promise<PretrainResult>;
export async function pretrainOnSource(
  given: Partial<PretrainConfig>,
  source: BatchSource,
  run: RunOptions = {},
): Promise<PretrainResult<AnyModel>> {
  await ensureBackend();
  const cfg = configForSource(given, source);
  const method = cfg.method === "dino" ? dinoMethod(cfg) : cfg.method === "mae" ? maeMethod(cfg) : msnMethod(cfg);
  const result = await trainLoop(cfg, source, method, run);
  return { ...result, model: method.model, encoder: method.encoder, config: cfg };
}

/** The run's configuration, its EHR width taken from the data (a different `ehrIn` given is refused). */
function configForSource(given: Partial<PretrainConfig>, source: BatchSource): PretrainConfig {
  const ehrIn = source.ehrFeatures.length;
  if (given.ehrIn !== undefined && given.ehrIn !== ehrIn) {
    throw new InputError({
      field: "ehrIn",
      expected: `${ehrIn}, the number of EHR features of the data (${source.ehrFeatures.join(", ") || "none"})`,
      found: String(given.ehrIn),
    });
  }
  const cfg = pretrainConfig({ ...given, ehrIn });
  if (!(Number.isInteger(source.batchesPerEpoch) && source.batchesPerEpoch >= 1)) {
    throw new InputError({
      field: "source",
      expected: "at least one batch per epoch",
      found: String(source.batchesPerEpoch),
    });
  }
  return cfg;
}
