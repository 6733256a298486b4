/**
 * The pretraining loop. Each optimizer step, in the authors' order (CxrEhrMSN.training_step):
 * EMA of the anchor side into the target side, target assignments without gradient, masked anchor
 * forward with EHR fusion, MSN loss, gradients, AdamW. Everything random in a step comes from
 * (seed, epoch, index), and checkpoints hold every other piece of state, so a resumed run reaches
 * exactly the weights of an uninterrupted one.
 */
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import type { Cohort, SplitSelector } from "../cohort/types";
import { buildCache, datasetImages } from "../images/cache";
import type { ImageCache } from "../images/types";
import { saveEncoder } from "../model/load";
import { writeFileAtomic } from "../model/safetensors";
import { MsnLossOptions } from "../model/loss";
import { batchTokenMask, maskTensor, randomTokenMask, TokenMask } from "../model/masking";
import { MsnModel } from "../model/msn";
import { VisionTransformer } from "../model/vit";
import { InputError } from "../util/errors";
import { progress } from "../util/progress";
import { Rng } from "../util/random";
import { latestCheckpoint, readCheckpoint, writeCheckpoint } from "./checkpoint";
import { AUTHORS_DEFAULTS, PretrainConfig, pretrainConfig, RUN_DEFINING } from "./config";
import { cohortSource } from "./data";
import { AdamW } from "./optimizer";
import { emaMomentum, learningRate } from "./schedules";
import { BatchSource, PretrainBatch } from "./source";
import { ensure as ensureBackend } from "../backend/init";

export interface StepInfo {
  /** Optimizer steps done so far (1-based after the first). */
  step: number;
  totalSteps: number;
  /** Epoch of this step (0-based). */
  epoch: number;
  loss: number;
  lr: number;
  momentum: number;
  /** Images (all views) per second in this session. */
  imagesPerSecond: number;
}

export interface PretrainCallbacks {
  /** After every optimizer step (e.g. to draw a live loss curve). */
  onStep?(info: StepInfo): void | Promise<void>;
  /** After the last step of each epoch, with the epoch's mean loss. */
  onEpochEnd?(info: { epoch: number; meanLoss: number }): void | Promise<void>;
  /** After each checkpoint is written. */
  onCheckpoint?(info: { step: number; dir: string }): void | Promise<void>;
}

export interface RunOptions {
  /** Run folder for checkpoints, `encoder.safetensors` and `history.json`; nothing is written without it. */
  dir?: string;
  /** Continue from the newest checkpoint in `dir` (a run without one starts from the beginning). */
  resume?: boolean;
  callbacks?: PretrainCallbacks;
  /** Draw no progress. */
  quiet?: boolean;
  /**
   * Stops the run cleanly (a scheduler's signal before preemption or the time limit): after the step in
   * progress, a checkpoint is written and the run throws `PretrainInterruptedError`; `resume` continues it.
   */
  signal?: AbortSignal;
}

export interface PretrainHistory {
  /** Mean loss of each optimizer step. */
  loss: number[];
  /** Learning rate of each optimizer step. */
  lr: number[];
}

export interface PretrainResult {
  /** The trained model (target and anchor sides, heads, prototypes); dispose it when done. */
  model: MsnModel;
  /** The target (EMA) encoder, the one used downstream (part of `model`). */
  encoder: VisionTransformer;
  config: PretrainConfig;
  history: PretrainHistory;
  /** Optimizer steps of the whole run, and the step this session started from (0 unless resumed). */
  steps: number;
  resumedFrom: number;
  /** The final checkpoint and the exported encoder, when `dir` was given. */
  checkpoint?: string;
  encoderFile?: string;
  seconds: number;
  imagesPerSecond: number;
}

/** The loss became NaN or infinite: the run stopped without writing the bad weights. */
export class TrainingDivergedError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly checkpoint: string | undefined,
  ) {
    super(
      `pretraining stopped at step ${step + 1}: the loss is ${loss}. ` +
        (checkpoint ? `The last good checkpoint is ${checkpoint}. ` : "No checkpoint was written before. ") +
        "Lower the learning rate or check the inputs for NaN values.",
    );
    this.name = "TrainingDivergedError";
  }
}

/** The run was stopped through its `signal`, after writing a checkpoint to resume from. */
export class PretrainInterruptedError extends Error {
  constructor(
    readonly step: number,
    readonly checkpoint: string | undefined,
  ) {
    super(`pretraining interrupted after step ${step}` + (checkpoint ? `; resume from ${checkpoint}` : ""));
    this.name = "PretrainInterruptedError";
  }
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
  /** An open image cache or its folder; built there from the cohort's images when absent (default `<dir>/image-cache`). */
  cache?: ImageCache | string;
  /** Shorter image side when the cache is built (default 256). */
  cacheShortSide?: number;
}

/**
 * Pretrains an (EHR-)MSN: `pretrain({ cohort, features: "socio-norm", vit: "tiny", epochs: 1 })`.
 * Every hyperparameter of `PretrainConfig` may be given (validated before any work starts); the
 * images come from the image cache (built when needed), the EHR vectors from `cohort.features`.
 */
export async function pretrain(options: PretrainOptions): Promise<PretrainResult> {
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
  const images =
    typeof cache === "object"
      ? cache
      : await cohortCache(
          cohort!,
          split ?? "pretrain",
          typeof cache === "string" ? cache : path.join(dir ?? path.join(os.tmpdir(), "ehr-msn"), "image-cache"),
          cacheShortSide ?? 256,
          quiet,
        );
  const data = cohortSource(cohort!, images, {
    features: want,
    split,
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    views: {
      randomSize: cfg.imageSize,
      focalSize: cfg.focalSize,
      focalViews: cfg.focalViews,
      channels: cfg.channels as 1 | 3,
    },
  });
  if (!quiet && (data.missing > 0 || data.leftOutPerEpoch > 0)) {
    console.warn(
      `pretrain: ${data.missing} image(s) of the split are not in the cache (see its report); ${data.leftOutPerEpoch} image(s) per epoch left out (a last batch of 1 cannot be batch-normalised).`,
    );
  }
  return pretrainOnSource(given, data, run);
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

/** The image cache of a cohort split's images in `dir` (reused when it was built from the same files). */
async function cohortCache(
  cohort: Cohort,
  split: SplitSelector,
  dir: string,
  shortSide: number,
  quiet?: boolean,
): Promise<ImageCache> {
  return buildCache({ images: datasetImages(cohort, split), dir, shortSide, channels: 1, quiet });
}

/** Trains on any BatchSource (the cohort glue and tests build one). */
export async function pretrainOnSource(
  given: Partial<PretrainConfig>,
  source: BatchSource,
  run: RunOptions = {},
): Promise<PretrainResult> {
  await ensureBackend();
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
  const stepsPerEpoch = Math.ceil(source.batchesPerEpoch / cfg.accumulate);
  const totalSteps = stepsPerEpoch * cfg.epochs;
  const model = new MsnModel({
    vit: {
      size: cfg.vit,
      heads: cfg.heads,
      dim: cfg.dim,
      layers: cfg.layers,
      mlpDim: cfg.mlpDim,
      imageSize: cfg.imageSize,
      patch: cfg.patch,
      channels: cfg.channels,
    },
    numPrototypes: cfg.numPrototypes,
    projHidden: cfg.projHidden,
    projOut: cfg.projOut,
    projHiddenBias: cfg.projHiddenBias,
    ehrIn,
    ehrDim: cfg.ehrDim,
    seed: cfg.seed,
  });
  const trained = model.trainableParams(cfg.prototypes === "trainable");
  const optimizer = new AdamW(trained, {
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    eps: cfg.eps,
    weightDecay: weightDecayOf(cfg, model),
  });
  const history: PretrainHistory = { loss: [], lr: [] };
  let start = 0;
  let lastCheckpoint: string | undefined;
  try {
    if (run.resume && !run.dir)
      throw new InputError({ field: "resume", expected: "a run folder (`dir`) to resume from", found: "none" });
    lastCheckpoint = run.dir ? latestCheckpoint(run.dir) : undefined;
    if (lastCheckpoint && !run.resume) {
      // A new run would interleave its checkpoints with the old ones (and a later resume would pick the old).
      throw new InputError({
        field: "dir",
        expected: "a folder without checkpoints for a new run",
        found: `checkpoints of an earlier run (${lastCheckpoint})`,
        hint: "Pass resume: true to continue that run, or choose another folder.",
      });
    }
    if (lastCheckpoint) start = restore(lastCheckpoint, cfg, source.signature, model, optimizer, history);
    const t0 = Date.now();
    const bar = progress("pretrain", totalSteps - start, { unit: "step", quiet: run.quiet });
    let images = 0;
    const lossOptions: MsnLossOptions = {
      temperature: cfg.temperature,
      sharpenTemperature: cfg.sharpenTemperature,
      sinkhornIterations: cfg.sinkhornIterations,
      meMaxWeight: cfg.meMaxWeight,
    };
    const varList = trained.map(([, v]) => v);
    for (let s = start; s < totalSteps; s++) {
      const epoch = Math.floor(s / stepsPerEpoch);
      const stepInEpoch = s % stepsPerEpoch;
      const lr = learningRate(
        {
          lr: cfg.lr,
          minLr: cfg.minLr,
          unit: cfg.lrUnit,
          warmupEpochs: cfg.warmupEpochs,
          warmupStartLr: cfg.warmupStartLr,
          stretch: cfg.scheduleStretch,
        },
        { epoch, stepInEpoch, epochs: cfg.epochs, stepsPerEpoch },
      );
      const momentum = emaMomentum(
        {
          momentum: cfg.momentum,
          schedule: cfg.momentumSchedule,
          momentumEnd: cfg.momentumEnd,
          stretch: cfg.scheduleStretch,
        },
        s,
        totalSteps,
      );
      if (cfg.emaTiming === "before-step") model.emaUpdate(momentum);
      const first = stepInEpoch * cfg.accumulate;
      const last = Math.min(first + cfg.accumulate, source.batchesPerEpoch);
      let lossSum = 0;
      let gradSum: Map<string, tf.Tensor> | undefined;
      for (let i = first; i < last; i++) {
        const batch = await source.batch(epoch, i);
        try {
          checkBatch(batch, cfg, i === first && s === start);
          const { loss, grads } = microStep(
            model,
            batch,
            masksFor(cfg, epoch, i, batch),
            lossOptions,
            varList,
            trained,
          );
          lossSum += loss;
          gradSum = gradSum ? addInto(gradSum, grads) : grads;
        } finally {
          tf.dispose(Object.values(batch));
        }
        images += batch.target.shape[0] * (2 + cfg.focalViews);
      }
      const n = last - first;
      const loss = lossSum / n;
      if (!Number.isFinite(loss)) {
        tf.dispose([...gradSum!.values()]);
        throw new TrainingDivergedError(s, loss, lastCheckpoint);
      }
      if (n > 1) gradSum = scale(gradSum!, 1 / n);
      optimizer.apply(gradSum!, lr);
      tf.dispose([...gradSum!.values()]);
      if (cfg.emaTiming === "after-step") model.emaUpdate(momentum);
      history.loss.push(loss);
      history.lr.push(lr);
      const imagesPerSecond = (images * 1000) / Math.max(1, Date.now() - t0);
      bar.set(s + 1 - start, {
        epoch: `${epoch + 1}/${cfg.epochs}`,
        loss,
        "img/s": Number(imagesPerSecond.toFixed(1)),
      });
      await run.callbacks?.onStep?.({ step: s + 1, totalSteps, epoch, loss, lr, momentum, imagesPerSecond });
      if (stepInEpoch === stepsPerEpoch - 1) {
        const losses = history.loss.slice(-stepsPerEpoch);
        await run.callbacks?.onEpochEnd?.({ epoch, meanLoss: losses.reduce((a, b) => a + b, 0) / losses.length });
      }
      const due = cfg.checkpointEvery > 0 && (s + 1) % cfg.checkpointEvery === 0;
      const stopping = run.signal?.aborted === true && s + 1 < totalSteps;
      if (run.dir && (due || stopping || s + 1 === totalSteps)) {
        lastCheckpoint = save(run.dir, s + 1, totalSteps, cfg, source.signature, model, optimizer, history);
        await run.callbacks?.onCheckpoint?.({ step: s + 1, dir: lastCheckpoint });
      }
      if (stopping) {
        bar.finish();
        throw new PretrainInterruptedError(s + 1, run.dir ? lastCheckpoint : undefined);
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    bar.finish();
    let encoderFile: string | undefined;
    if (run.dir) {
      encoderFile = path.join(run.dir, "encoder.safetensors");
      saveEncoder(model.target, encoderFile);
      writeFileAtomic(path.join(run.dir, "history.json"), JSON.stringify(history) + "\n");
    }
    optimizer.dispose();
    return {
      model,
      encoder: model.target,
      config: cfg,
      history,
      steps: totalSteps,
      resumedFrom: start,
      checkpoint: run.dir ? lastCheckpoint : undefined,
      encoderFile,
      seconds,
      imagesPerSecond: seconds > 0 ? images / seconds : 0,
    };
  } catch (e) {
    optimizer.dispose();
    model.dispose();
    throw e;
  }
}

/** Weight decay per parameter: the authors decay everything; MSN spares biases and 1-D tensors; trained prototypes never decay. */
function weightDecayOf(cfg: PretrainConfig, model: MsnModel): (name: string) => number {
  const rank = new Map(model.namedParams().map(([n, v]) => [n, v.rank]));
  return (name) => {
    if (name === "prototypes") return 0;
    if (cfg.weightDecayOn === "weights" && (name.endsWith("bias") || rank.get(name) === 1)) return 0;
    return cfg.weightDecay;
  };
}

interface Masks {
  anchorKeep?: tf.Tensor2D;
  focalKeep?: tf.Tensor2D;
}

/** Token masks of micro-batch `index` of `epoch`, drawn from (seed, epoch, index) alone. */
function masksFor(cfg: PretrainConfig, epoch: number, index: number, batch: PretrainBatch): Masks {
  if (cfg.maskRatio === 0) return {};
  const rng = new Rng(cfg.seed).fork(`mask:${epoch}:${index}`);
  const draw = (rows: number, side: number): TokenMask => {
    const patches = (side / cfg.patch) ** 2;
    return cfg.maskSharing === "per-batch"
      ? batchTokenMask(rows, patches, cfg.maskRatio, rng)
      : randomTokenMask(rows, patches, cfg.maskRatio, rng, cfg.maskCount);
  };
  const anchorKeep = maskTensor(draw(batch.anchor.shape[0], cfg.imageSize));
  if (cfg.maskViews === "anchor" || cfg.focalViews === 0) return { anchorKeep };
  return { anchorKeep, focalKeep: maskTensor(draw(batch.focal.shape[0], cfg.focalSize)) };
}

/** Loss and gradients (by parameter name) of one micro-batch; the target side runs outside the tape. */
function microStep(
  model: MsnModel,
  batch: PretrainBatch,
  masks: Masks,
  lossOptions: MsnLossOptions,
  varList: tf.Variable[],
  trained: [string, tf.Variable][],
): { loss: number; grads: Map<string, tf.Tensor> } {
  const probs = model.targetProbabilities(batch.target, lossOptions);
  try {
    const focal = batch.focal.shape[0] > 0 ? batch.focal : undefined;
    const { value, grads } = tf.variableGrads(
      () =>
        model.anchorLoss(
          { anchor: batch.anchor, focal, anchorKeep: masks.anchorKeep, focalKeep: masks.focalKeep, ehr: batch.ehr },
          probs,
          lossOptions,
        ),
      varList,
    );
    const loss = value.dataSync()[0];
    value.dispose();
    const byName = new Map<string, tf.Tensor>();
    for (const [name, v] of trained) {
      const g = grads[v.name];
      byName.set(name, g ?? tf.zerosLike(v));
    }
    return { loss, grads: byName };
  } finally {
    tf.dispose([probs, masks.anchorKeep, masks.focalKeep].filter((t) => t !== undefined) as tf.Tensor[]);
  }
}

function addInto(sum: Map<string, tf.Tensor>, add: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [k, v] of sum) {
    out.set(k, tf.add(v, add.get(k)!));
    tf.dispose([v, add.get(k)!]);
  }
  return out;
}

function scale(grads: Map<string, tf.Tensor>, f: number): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [k, v] of grads) {
    out.set(k, tf.mul(v, f));
    v.dispose();
  }
  return out;
}

/** Checks a batch's shapes against the configuration (fully on the first batch of a session). */
function checkBatch(b: PretrainBatch, cfg: PretrainConfig, thorough: boolean): void {
  const n = b.target.shape[0];
  const fail = (field: string, expected: string, found: readonly number[] | string) => {
    throw new InputError({
      field: `batch.${field}`,
      expected,
      found: typeof found === "string" ? found : `shape [${found}]`,
    });
  };
  if (n < 2) fail("target", "at least 2 images (the heads' batch norm)", b.target.shape);
  if (!thorough) return;
  const img = [n, cfg.imageSize, cfg.imageSize, cfg.channels];
  if (b.target.shape.join() !== img.join()) fail("target", `[${img}]`, b.target.shape);
  if (b.anchor.shape.join() !== img.join()) fail("anchor", `[${img}]`, b.anchor.shape);
  const focal = [cfg.focalViews * n, cfg.focalSize, cfg.focalSize, cfg.channels];
  if (b.focal.shape.join() !== focal.join()) fail("focal", `[${focal}] (view-major)`, b.focal.shape);
  if (cfg.ehrIn > 0 && (!b.ehr || b.ehr.shape.join() !== [n, cfg.ehrIn].join()))
    fail("ehr", `[${n}, ${cfg.ehrIn}]`, b.ehr ? b.ehr.shape : "none");
}

function save(
  dir: string,
  step: number,
  totalSteps: number,
  cfg: PretrainConfig,
  data: string,
  model: MsnModel,
  optimizer: AdamW,
  history: PretrainHistory,
): string {
  return writeCheckpoint(
    dir,
    { step, totalSteps, config: cfg, data, model: model.state(), trainState: optimizer.state(), history },
    cfg.keepCheckpoints,
  );
}

/** Loads a verified checkpoint into the model and optimizer; returns the step to continue from. */
function restore(
  dir: string,
  cfg: PretrainConfig,
  data: string,
  model: MsnModel,
  optimizer: AdamW,
  history: PretrainHistory,
): number {
  const c = readCheckpoint(dir, { config: cfg, data });
  model.loadState(c.model, path.join(dir, "model.safetensors"));
  optimizer.loadState(c.trainState, c.state.step, path.join(dir, "train_state.safetensors"));
  history.loss.push(...c.history.loss);
  history.lr.push(...c.history.lr);
  return c.state.step;
}
