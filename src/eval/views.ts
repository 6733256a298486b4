/**
 * The image transforms of evaluation, from the image layer: the authors' Resize(256) + CenterCrop
 * for embedding, and their flip + affine for training the probe or fine-tuning, sized for the encoder.
 */
import type * as tf from "@tensorflow/tfjs";
import type { CachedImage, EvalViewOptions, ProbeTrainOptions } from "../images/types";
import { evalViews, probeTrainViews } from "../images/views";
import type { Encoder } from "../model/encoder";
import type { Rng } from "../util/random";

/** The evaluation and training transforms, and a key naming the evaluation one (embedding files). */
export interface Views {
  eval: (images: CachedImage[]) => tf.Tensor4D;
  evalKey: string;
  train: (images: CachedImage[], rng: Rng) => tf.Tensor4D;
}

/**
 * Transforms for `encoder`: crop to its image size, its channels, and the image layer's defaults
 * (resize 256, ImageNet normalisation as the paper says; `normalize: "authors-eval"` for the
 * statistics of the authors' code) unless `view` says otherwise. `train` adds `trainView`.
 */
export function encoderViews(encoder: Encoder, view: EvalViewOptions = {}, trainView: ProbeTrainOptions = {}): Views {
  const evalOpts: EvalViewOptions = {
    resize: 256,
    crop: encoder.imageSize,
    channels: encoder.channels as 1 | 3,
    normalize: "imagenet",
    ...view,
  };
  const trainOpts: ProbeTrainOptions = { ...evalOpts, ...trainView };
  return {
    eval: (images) => evalViews(images, evalOpts),
    evalKey: JSON.stringify({ transform: "evalViews", ...evalOpts }),
    train: (images, rng) => probeTrainViews(images, rng, trainOpts),
  };
}
