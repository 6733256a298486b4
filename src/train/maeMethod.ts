/**
 * MAE's step in the shared loop (facebookresearch/mae `engine_pretrain.train_one_epoch`): a random
 * mask per image, the encoder over the kept patches, the decoder, the loss on the masked patches and
 * its gradients. MAE sees one view per image: the batch's target view (a random resized crop with a
 * flip, as MAE's RandomResizedCrop(scale 0.2-1) and flip); the anchor and focal views are not read.
 * There is no EMA. Not reproduced: MAE's β₂ = 0.95 and its warm-up (both set here through `beta2`
 * and `warmupEpochs` if wanted), and its batch-size scaled learning rate.
 */
import * as tf from "@tensorflow/tfjs";
import { MaeModel } from "../model/mae";
import { maeMaskTensors, maeRandomMask } from "../model/maeMasking";
import { InputError } from "../util/errors";
import { Rng } from "../util/random";
import type { PretrainConfig } from "./config";
import { gradsByName, type TrainingMethod } from "./method";
import { vitOptionsOf, weightDecayOf } from "./msnMethod";
import type { PretrainBatch } from "./source";

/** The MAE method of a run: its model (built from `cfg`) and its step. */
export interface MaeMethod extends TrainingMethod {
  readonly model: MaeModel;
}

export function maeMethod(cfg: PretrainConfig): MaeMethod {
  const model = new MaeModel({
    vit: vitOptionsOf(cfg),
    decoderDim: cfg.maeDecoderDim,
    decoderLayers: cfg.maeDecoderLayers,
    decoderHeads: cfg.maeDecoderHeads,
    normPixLoss: cfg.maeNormPixLoss,
    seed: cfg.seed,
  });
  const trained = model.namedParams();
  const varList = trained.map(([, v]) => v);
  return {
    model,
    encoder: model.encoder,
    trained,
    weightDecay: weightDecayOf(cfg, trained),
    state: () => model.state(),
    loadState: (values, source) => model.loadState(values, source),
    imagesPerBatch: (batch) => batch.target.shape[0],
    checkBatch: (batch, thorough) => checkMaeBatch(batch, cfg, thorough),
    beginStep: () => ({}),
    async microStep(batch, epoch, index) {
      const images = batch.target;
      const rng = new Rng(cfg.seed).fork(`mae-mask:${epoch}:${index}`);
      const mask = maeMaskTensors(maeRandomMask(images.shape[0], model.patches, cfg.maeMaskRatio, rng));
      try {
        const { value, grads } = tf.variableGrads(() => model.loss(images, mask), varList);
        // Asynchronous: the webgpu backend cannot read synchronously.
        const loss = (await value.data())[0];
        value.dispose();
        return { loss, grads: gradsByName(grads, trained) };
      } finally {
        tf.dispose(Object.values(mask));
      }
    },
    endStep: () => undefined,
    dispose: () => model.dispose(),
  };
}

/** MAE reads the target view only: [B, imageSize, imageSize, channels]. */
function checkMaeBatch(b: PretrainBatch, cfg: PretrainConfig, thorough: boolean): void {
  if (!thorough) return;
  const img = [b.target.shape[0], cfg.imageSize, cfg.imageSize, cfg.channels];
  if (b.target.shape.join() !== img.join())
    throw new InputError({ field: "batch.target", expected: `[${img}]`, found: `shape [${b.target.shape}]` });
}
