/**
 * Every hyperparameter of a pretraining run in one validated object. The defaults reproduce the
 * authors' code (CXR-EHR-MSN); each place where it differs from the original MSN is a named option,
 * and `preset: "msn"` switches all of them to the original's choices at once.
 */
import { MaskCount } from "../model/masking";
import { VIT_SIZES, VitSize } from "../model/vit";
import { didYouMean } from "../util/closest";
import { describeValue, InputError } from "../util/errors";
import { checkBoolean, checkInt, checkNumber, checkOneOf, checkProbability } from "../util/validate";
import type { EarlyStoppingRule } from "./stopping";

export interface PretrainConfig {
  /** Defaults of the authors' code ("cxr-ehr-msn") or of the original MSN ("msn"); fields set explicitly win. */
  preset: "cxr-ehr-msn" | "msn";

  // --- encoder and views ---
  /** ViT size: tiny 192 (6 heads, as the authors), small 384, base 768. */
  vit: VitSize;
  /** Attention heads (default: the size's; 3 gives DeiT-Tiny). */
  heads?: number;
  /** Overrides of the size's width, depth and MLP width (small test models). */
  dim?: number;
  layers?: number;
  mlpDim?: number;
  /** Side of the target and anchor views (224) and of the focal views (96); multiples of the patch. */
  imageSize: number;
  focalSize: number;
  patch: number;
  /** 3: grey replicated, as the authors; 1: one grey channel. */
  channels: number;
  /** Focal views per image (10). */
  focalViews: number;

  // --- heads, prototypes, EHR ---
  numPrototypes: number;
  /** Projection head hidden and output widths (default 4·D and D, the authors; 2048 and 256 in MSN). */
  projHidden?: number;
  projOut?: number;
  /** Biases on the head's hidden Linear layers (false: lightly's head; true: MSN's). */
  projHiddenBias: boolean;
  /**
   * "frozen": the prototypes keep their random initial values (the authors pass `prototypes.data` to
   * the loss, so they never get a gradient); "trainable": trained, without weight decay (MSN).
   */
  prototypes: "frozen" | "trainable";
  /** Width of the EHR vector (0: vanilla MSN without fusion); the cohort glue sets it from `features`. */
  ehrIn: number;
  /** Width of the EHR embedding f_ehr (128). */
  ehrDim: number;

  // --- token drop ---
  maskRatio: number;
  /** Which views drop tokens: "anchor-and-focal" (the authors) or "anchor" (the 224 anchor only, MSN). */
  maskViews: "anchor-and-focal" | "anchor";
  /** "per-sample": an independent mask per image (the authors); "per-batch": one permutation for the batch (MSN). */
  maskSharing: "per-sample" | "per-batch";
  /** Per-sample token count: "authors" (166/30 with the last-patch artefact) or "exact" (197/37 tokens drawn). */
  maskCount: MaskCount;

  // --- loss ---
  temperature: number;
  sharpenTemperature: number;
  sinkhornIterations: number;
  meMaxWeight: number;

  // --- target encoder EMA ---
  momentum: number;
  /** "fixed" (the authors) or "linear" toward `momentumEnd` over `scheduleStretch` × the run (MSN). */
  momentumSchedule: "fixed" | "linear";
  momentumEnd: number;
  /** "before-step": EMA at the start of each step, from the previous weights (the authors); "after-step" (MSN). */
  emaTiming: "before-step" | "after-step";

  // --- optimizer and schedule ---
  lr: number;
  minLr: number;
  weightDecay: number;
  /** "all": weight decay on every trained tensor (the authors); "weights": not on biases and norms (MSN). */
  weightDecayOn: "all" | "weights";
  beta1: number;
  beta2: number;
  eps: number;
  /** Cosine stepped per "epoch" (the authors) or per "step" (MSN). */
  lrUnit: "epoch" | "step";
  warmupEpochs: number;
  warmupStartLr: number;
  /** Length of the cosine (and of a linear EMA ramp) as a multiple of the run (1; MSN 1.25). */
  scheduleStretch: number;

  // --- method ---
  /** "msn": (EHR-)MSN, the paper's method; "dino" and "mae": DINO and MAE, baselines of its Table 3 (no EHR fusion). */
  method: "msn" | "dino" | "mae";
  /** DINO head output width, hidden width and bottleneck (65,536, 2,048 and 256, as DINO). */
  dinoOutDim: number;
  dinoHiddenDim: number;
  dinoBottleneckDim: number;
  /** DINO student temperature (0.1) and teacher temperature (0.04), warmed up linearly from `dinoWarmupTeacherTemp` (0.04) over `dinoWarmupTeacherTempEpochs` (0): main_dino.py's defaults. */
  dinoStudentTemp: number;
  dinoTeacherTemp: number;
  dinoWarmupTeacherTemp: number;
  dinoWarmupTeacherTempEpochs: number;
  /** Momentum of the EMA of the teacher's output centre (0.9). */
  dinoCenterMomentum: number;

  // --- MAE (method: "mae"; docs/method-reference.md "MAE and DINO defaults") ---
  /** Share of patches MAE masks (0.75, the original MAE's; the paper's appendix gives its own ratio for MAE). */
  maeMaskRatio: number;
  /** MAE decoder width, blocks and heads (256, 4, 8: MAE's 512, 8, 16 halved in width and depth for ViT-Tiny/Small). */
  maeDecoderDim: number;
  maeDecoderLayers: number;
  maeDecoderHeads: number;
  /** Score per-patch normalised pixels (true, MAE's `norm_pix_loss`) or raw ones. */
  maeNormPixLoss: boolean;

  // --- run ---
  epochs: number;
  /** Images per micro-batch (the authors: 64). */
  batchSize: number;
  /** Micro-batches whose gradients are averaged per optimizer step (1). */
  accumulate: number;
  /** Seed of initial weights, masks and (through the data source) batch order and augmentation (24, as the authors). */
  seed: number;
  /** Write a checkpoint every this many optimizer steps (0: only at the end). */
  checkpointEvery: number;
  /** Checkpoints kept on disk (the newest ones). */
  keepCheckpoints: number;

  // --- kept encoder and early stopping (the paper's training details; see STOPPING_DEFAULTS) ---
  /**
   * The encoder the run exports: "last" (after the last step) or "lowest-loss" (the one at the end of
   * the epoch with the lowest mean training loss: the authors' ModelCheckpoint on train_loss).
   */
  keepEncoder: "last" | "lowest-loss";
  /**
   * Stop once the epoch's mean training loss has not fallen by more than `minDelta` for `patience`
   * epochs in a row (Lightning's EarlyStopping, as the paper describes; `PAPER_EARLY_STOPPING` is its
   * patience 5 and min delta 1e-5); false: every epoch runs, as in the authors' final code.
   */
  earlyStopping: false | EarlyStoppingRule;
  /**
   * Resize each pretraining crop as PIL does, antialiased (the authors' torchvision transforms), in
   * JavaScript; false (default): one bilinear `cropAndResize` per batch, without antialiasing.
   */
  antialiasCrops: boolean;
}

/**
 * Which encoder a run keeps and whether it stops early. Neither changes a step's numbers, so neither
 * decides whether a checkpoint may be resumed (not in RUN_DEFINING).
 */
export const STOPPING_DEFAULTS = {
  keepEncoder: "last",
  earlyStopping: false,
} as const satisfies Partial<PretrainConfig>;

/** How pretraining crops are resized (added after the first checkpoints: those were written with these values). */
export const CROP_DEFAULTS = { antialiasCrops: false } as const satisfies Partial<PretrainConfig>;

/** Checks the fields of STOPPING_DEFAULTS and CROP_DEFAULTS (InputError naming the field). */
function checkStopping(c: PretrainConfig): void {
  checkBoolean(c.antialiasCrops, "antialiasCrops");
  checkOneOf(c.keepEncoder, "keepEncoder", ["last", "lowest-loss"]);
  if (c.earlyStopping === false) return;
  const rule = c.earlyStopping as Partial<EarlyStoppingRule> | null;
  if (typeof rule !== "object" || rule === null || Array.isArray(rule))
    throw new InputError({
      field: "earlyStopping",
      expected: "false or { patience, minDelta } (the paper: { patience: 5, minDelta: 1e-5 })",
      found: describeValue(rule),
    });
  const extra = Object.keys(rule).filter((k) => k !== "patience" && k !== "minDelta");
  if (extra.length > 0)
    throw new InputError({
      field: `earlyStopping.${extra[0]}`,
      expected: "patience or minDelta",
      found: `an unknown field "${extra[0]}"`,
    });
  checkInt(rule.patience, "earlyStopping.patience", { min: 1 });
  checkNumber(rule.minDelta, "earlyStopping.minDelta", { min: 0 });
}

/** MAE's settings (method: "mae"), in their own block. */
export const MAE_DEFAULTS = {
  maeMaskRatio: 0.75,
  maeDecoderDim: 256,
  maeDecoderLayers: 4,
  maeDecoderHeads: 8,
  maeNormPixLoss: true,
} as const satisfies Partial<PretrainConfig>;

/**
 * The method and DINO's and MAE's settings (added after the first checkpoints were written: a checkpoint
 * without them was written by an MSN run with these values).
 */
export const METHOD_DEFAULTS = {
  method: "msn",
  dinoOutDim: 65536,
  dinoHiddenDim: 2048,
  dinoBottleneckDim: 256,
  dinoStudentTemp: 0.1,
  dinoTeacherTemp: 0.04,
  dinoWarmupTeacherTemp: 0.04,
  dinoWarmupTeacherTempEpochs: 0,
  dinoCenterMomentum: 0.9,
  ...MAE_DEFAULTS,
} as const satisfies Partial<PretrainConfig>;

/** The authors' settings (CXR-EHR-MSN, method-reference §1-11). */
export const AUTHORS_DEFAULTS: PretrainConfig = {
  preset: "cxr-ehr-msn",
  vit: "tiny",
  imageSize: 224,
  focalSize: 96,
  patch: 16,
  channels: 3,
  focalViews: 10,
  numPrototypes: 1024,
  projHiddenBias: false,
  prototypes: "frozen",
  ehrIn: 0,
  ehrDim: 128,
  maskRatio: 0.15,
  maskViews: "anchor-and-focal",
  maskSharing: "per-sample",
  maskCount: "authors",
  temperature: 0.1,
  sharpenTemperature: 0.25,
  sinkhornIterations: 3,
  meMaxWeight: 1,
  momentum: 0.996,
  momentumSchedule: "fixed",
  momentumEnd: 1,
  emaTiming: "before-step",
  lr: 1e-4,
  minLr: 0,
  weightDecay: 1e-3,
  weightDecayOn: "all",
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  lrUnit: "epoch",
  warmupEpochs: 0,
  warmupStartLr: 0,
  scheduleStretch: 1,
  ...METHOD_DEFAULTS,
  epochs: 100,
  batchSize: 64,
  accumulate: 1,
  seed: 24,
  checkpointEvery: 0,
  keepCheckpoints: 2,
  ...STOPPING_DEFAULTS,
  ...CROP_DEFAULTS,
};

/**
 * What `preset: "msn"` changes (facebookresearch/msn `configs/pretrain/msn_vits16.yaml`). Not
 * reproduced: its weight-decay schedule 0.04 → 0.4 (the decay stays at 0.04) and its gradient clipping.
 */
export const MSN_PRESET: Partial<PretrainConfig> = {
  projHidden: 2048,
  projOut: 256,
  projHiddenBias: true,
  prototypes: "trainable",
  maskViews: "anchor",
  maskSharing: "per-batch",
  momentumSchedule: "linear",
  emaTiming: "after-step",
  lr: 1e-3,
  minLr: 1e-6,
  weightDecay: 0.04,
  weightDecayOn: "weights",
  lrUnit: "step",
  warmupEpochs: 15,
  warmupStartLr: 2e-4,
  scheduleStretch: 1.25,
};

/** The fields that decide the numbers of a run: a checkpoint must agree on all of them to be resumed. */
export const RUN_DEFINING: readonly (keyof PretrainConfig)[] = (
  Object.keys(AUTHORS_DEFAULTS) as (keyof PretrainConfig)[]
)
  .filter((k) => k !== "checkpointEvery" && k !== "keepCheckpoints" && !(k in STOPPING_DEFAULTS))
  .concat(["heads", "dim", "layers", "mlpDim", "projHidden", "projOut"]);

const CHOICES: Partial<Record<keyof PretrainConfig, readonly string[]>> = {
  preset: ["cxr-ehr-msn", "msn"],
  vit: Object.keys(VIT_SIZES),
  prototypes: ["frozen", "trainable"],
  maskViews: ["anchor-and-focal", "anchor"],
  maskSharing: ["per-sample", "per-batch"],
  maskCount: ["authors", "exact"],
  momentumSchedule: ["fixed", "linear"],
  emaTiming: ["before-step", "after-step"],
  weightDecayOn: ["all", "weights"],
  lrUnit: ["epoch", "step"],
  method: ["msn", "dino", "mae"],
};

const POSITIVE_INT: (keyof PretrainConfig)[] = [
  "imageSize",
  "focalSize",
  "patch",
  "channels",
  "numPrototypes",
  "ehrDim",
  "epochs",
  "batchSize",
  "accumulate",
  "keepCheckpoints",
  "heads",
  "dim",
  "layers",
  "mlpDim",
  "projHidden",
  "projOut",
  "dinoOutDim",
  "dinoHiddenDim",
  "dinoBottleneckDim",
  "maeDecoderDim",
  "maeDecoderLayers",
  "maeDecoderHeads",
];
const NON_NEGATIVE_INT: (keyof PretrainConfig)[] = [
  "focalViews",
  "ehrIn",
  "sinkhornIterations",
  "seed",
  "checkpointEvery",
  "dinoWarmupTeacherTempEpochs",
];
const POSITIVE: (keyof PretrainConfig)[] = [
  "temperature",
  "lr",
  "scheduleStretch",
  "eps",
  "dinoStudentTemp",
  "dinoTeacherTemp",
  "dinoWarmupTeacherTemp",
];
const NON_NEGATIVE: (keyof PretrainConfig)[] = [
  "sharpenTemperature",
  "meMaxWeight",
  "minLr",
  "weightDecay",
  "warmupEpochs",
  "warmupStartLr",
];
const UNIT_INTERVAL: (keyof PretrainConfig)[] = ["momentum", "momentumEnd", "beta1", "beta2", "dinoCenterMomentum"];

/**
 * An InputError naming the view size (imageSize, or focalSize when focal views are masked) whose
 * tokens the mask would leave none of: the per-row mask keeps trunc(tokens·(1 − maskRatio)), which is
 * 0 for a view of one 16 px patch at 0.15. The size is the mistake, not the ratio: it names the smallest size that works.
 */
function checkMaskKeepsTokens(c: PretrainConfig): void {
  // MSN's token mask: DINO masks nothing, and MAE has its own ratio (checkMae).
  if (c.method !== "msn" || c.maskRatio === 0 || c.maskSharing === "per-batch") return;
  const keeps = (side: number) => {
    const patches = (side / c.patch) ** 2;
    return Math.trunc((c.maskCount === "authors" ? patches : patches + 1) * (1 - c.maskRatio)) >= 1;
  };
  const masked: (keyof PretrainConfig & ("imageSize" | "focalSize"))[] = ["imageSize"];
  if (c.maskViews !== "anchor" && c.focalViews > 0) masked.push("focalSize");
  for (const field of masked) {
    if (keeps(c[field])) continue;
    let least = c.patch;
    while (!keeps(least)) least += c.patch;
    throw new InputError({
      field,
      expected: `a view that keeps at least one of its ${c.patch} px patches after masking ${c.maskRatio} of them (at least ${least} px)`,
      found: String(c[field]),
      hint: `A ${c[field]} px view has ${(c[field] / c.patch) ** 2} patch(es), of which the mask would keep none.`,
    });
  }
}

/**
 * The full configuration from the given fields: preset defaults, then the fields. Throws an
 * InputError naming the first field that is unknown, of the wrong kind or out of range.
 */
export function pretrainConfig(given: Partial<PretrainConfig> = {}): PretrainConfig {
  const known = new Set<string>([...Object.keys(AUTHORS_DEFAULTS), ...RUN_DEFINING]);
  for (const k of Object.keys(given)) {
    if (!known.has(k))
      throw new InputError({
        field: k,
        expected: "a pretraining option",
        found: `an unknown field "${k}"`,
        hint: didYouMean(k, [...known]) ?? `Known fields: ${[...known].sort().join(", ")}.`,
      });
  }
  const preset = given.preset ?? "cxr-ehr-msn";
  const defined = Object.fromEntries(
    Object.entries(given).filter(([, v]) => v !== undefined),
  ) as Partial<PretrainConfig>;
  const c: PretrainConfig = { ...AUTHORS_DEFAULTS, ...(preset === "msn" ? MSN_PRESET : {}), ...defined };
  const fail = (field: keyof PretrainConfig, expected: string): never => {
    throw new InputError({ field, expected, found: describeValue(c[field]) });
  };
  for (const [k, options] of Object.entries(CHOICES) as [keyof PretrainConfig, readonly string[]][])
    checkOneOf(c[k], k, options);
  for (const k of POSITIVE_INT) if (c[k] !== undefined) checkInt(c[k], k, { min: 1 });
  for (const k of NON_NEGATIVE_INT) checkInt(c[k], k, { min: 0 });
  for (const k of POSITIVE) checkNumber(c[k], k, { min: 0, minExclusive: true });
  for (const k of NON_NEGATIVE) checkNumber(c[k], k, { min: 0 });
  for (const k of UNIT_INTERVAL) checkProbability(c[k], k);
  checkNumber(c.maskRatio, "maskRatio", { min: 0, max: 1, maxExclusive: true });
  if (c.channels !== 1 && c.channels !== 3) fail("channels", "1 (grey) or 3 (grey replicated to RGB, as the authors)");
  if (c.imageSize % c.patch !== 0) fail("imageSize", `a multiple of the patch size ${c.patch}`);
  if (c.focalSize % c.patch !== 0) fail("focalSize", `a multiple of the patch size ${c.patch}`);
  checkMaskKeepsTokens(c);
  if (c.batchSize < 2) {
    throw new InputError({
      field: "batchSize",
      expected: "at least 2",
      found: String(c.batchSize),
      hint: "The projection heads normalise with batch statistics (BatchNorm1d in training mode), which needs 2 or more images per batch.",
    });
  }
  if (c.method === "dino" && c.ehrIn > 0) fail("ehrIn", "0: DINO fuses no EHR features");
  checkMae(c, fail);
  if (c.warmupEpochs >= c.epochs * c.scheduleStretch && c.warmupEpochs > 0)
    fail("warmupEpochs", `fewer than the ${c.epochs} epochs of the run`);
  checkStopping(c);
  return c;
}

/** MAE's keys: the mask ratio, a decoder width its heads and the sine-cosine embedding divide, no EHR. */
function checkMae(c: PretrainConfig, fail: (field: keyof PretrainConfig, expected: string) => never): void {
  checkNumber(c.maeMaskRatio, "maeMaskRatio", { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  checkBoolean(c.maeNormPixLoss, "maeNormPixLoss");
  if (c.maeDecoderDim % c.maeDecoderHeads !== 0)
    fail("maeDecoderHeads", `a divisor of the decoder width maeDecoderDim ${c.maeDecoderDim}`);
  if (c.maeDecoderDim % 4 !== 0) fail("maeDecoderDim", "a multiple of 4 (the sine-cosine position embedding)");
  if (c.method !== "mae") return;
  if (c.ehrIn > 0) fail("ehrIn", "0: MAE fuses no EHR features");
  const patches = (c.imageSize / c.patch) ** 2;
  if (Math.trunc(patches * (1 - c.maeMaskRatio)) < 1)
    fail("maeMaskRatio", `a ratio that keeps at least one of the ${patches} patches of an image`);
}
