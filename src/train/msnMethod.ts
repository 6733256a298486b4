/**
 * MSN's step in the shared loop, in the authors' order (CxrEhrMSN.training_step): EMA of the anchor
 * side into the target side, target assignments without gradient, masked anchor forward with EHR
 * fusion, MSN loss and its gradients (the loop then applies AdamW).
 */
import * as tf from "@tensorflow/tfjs";
import { MsnLossOptions } from "../model/loss";
import { batchTokenMask, maskTensor, randomTokenMask, TokenMask } from "../model/masking";
import { MsnModel } from "../model/msn";
import type { VitOptions } from "../model/vit";
import { InputError } from "../util/errors";
import { Rng } from "../util/random";
import type { PretrainConfig } from "./config";
import { gradsByName, type MicroStepResult, type StepPosition, type TrainingMethod } from "./method";
import { emaMomentum } from "./schedules";
import { msnDiagnostics } from "./diagnostics";
import type { PretrainBatch } from "./source";

/** The MSN method of a run: its model (built from `cfg`) and its step. */
export interface MsnMethod extends TrainingMethod {
  readonly model: MsnModel;
}

/** Builds the (EHR-)MSN model of `cfg` and the step that trains it. */
export function msnMethod(cfg: PretrainConfig): MsnMethod {
  const model = new MsnModel({
    vit: vitOptionsOf(cfg),
    numPrototypes: cfg.numPrototypes,
    projHidden: cfg.projHidden,
    projOut: cfg.projOut,
    projHiddenBias: cfg.projHiddenBias,
    ehrIn: cfg.ehrIn,
    ehrDim: cfg.ehrDim,
    seed: cfg.seed,
  });
  const trained = model.trainableParams(cfg.prototypes === "trainable");
  const varList = trained.map(([, v]) => v);
  const lossOptions: MsnLossOptions = {
    temperature: cfg.temperature,
    sharpenTemperature: cfg.sharpenTemperature,
    sinkhornIterations: cfg.sinkhornIterations,
    meMaxWeight: cfg.meMaxWeight,
  };
  const decay = weightDecayOf(cfg, model.namedParams());
  const momentumAt = (at: StepPosition) =>
    emaMomentum(
      {
        momentum: cfg.momentum,
        schedule: cfg.momentumSchedule,
        momentumEnd: cfg.momentumEnd,
        stretch: cfg.scheduleStretch,
      },
      at.step,
      at.totalSteps,
    );
  return {
    model,
    encoder: model.target,
    trained,
    weightDecay: decay,
    state: () => model.state(),
    loadState: (values, source) => model.loadState(values, source),
    imagesPerBatch: (batch) => batch.target.shape[0] * (2 + cfg.focalViews),
    checkBatch: (batch, thorough) => checkViewBatch(batch, cfg, thorough),
    beginStep(at) {
      const momentum = momentumAt(at);
      if (cfg.emaTiming === "before-step") model.emaUpdate(momentum);
      return { momentum };
    },
    microStep: (batch, epoch, index) =>
      msnMicroStep(model, batch, masksFor(cfg, epoch, index, batch), lossOptions, varList, trained),
    endStep(at) {
      if (cfg.emaTiming === "after-step") model.emaUpdate(momentumAt(at));
    },
    diagnose: async (batch) => ({ ...(await msnDiagnostics(model, batch.target, cfg.temperature)) }),
    dispose: () => model.dispose(),
  };
}

/** The encoder options of a pretraining configuration. */
export function vitOptionsOf(cfg: PretrainConfig): VitOptions {
  return {
    size: cfg.vit,
    heads: cfg.heads,
    dim: cfg.dim,
    layers: cfg.layers,
    mlpDim: cfg.mlpDim,
    imageSize: cfg.imageSize,
    patch: cfg.patch,
    channels: cfg.channels,
  };
}

/**
 * Weight decay per parameter: the authors decay everything; MSN and DINO spare biases and 1-D tensors
 * (`weightDecayOn: "weights"`); trained prototypes never decay.
 */
export function weightDecayOf(cfg: PretrainConfig, params: [string, tf.Variable][]): (name: string) => number {
  const rank = new Map(params.map(([n, v]) => [n, v.rank]));
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
async function msnMicroStep(
  model: MsnModel,
  batch: PretrainBatch,
  masks: Masks,
  lossOptions: MsnLossOptions,
  varList: tf.Variable[],
  trained: [string, tf.Variable][],
): Promise<MicroStepResult> {
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
    // Asynchronous: the webgpu backend cannot read synchronously. The one readback of a step.
    const loss = (await value.data())[0];
    value.dispose();
    return { loss, grads: gradsByName(grads, trained) };
  } finally {
    tf.dispose([probs, masks.anchorKeep, masks.focalKeep].filter((t) => t !== undefined) as tf.Tensor[]);
  }
}

/** Checks a batch's shapes against the configuration (fully on the first batch of a session). */
export function checkViewBatch(b: PretrainBatch, cfg: PretrainConfig, thorough: boolean): void {
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
