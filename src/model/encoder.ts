import type * as tf from "@tensorflow/tfjs";

/**
 * What evaluation needs from a pretrained image encoder: a batch of normalised images
 * (NHWC float32, the evaluation transform already applied) in, one embedding per image out.
 */
export interface Encoder {
  /** Embedding size (the ViT hidden size D). */
  readonly dim: number;
  /** Image side the encoder expects (224 for the paper's ViTs). */
  readonly imageSize: number;
  /** Channels of its input images (3: grey replicated, as the authors; or 1). */
  readonly channels: number;
  /** [B, H, W, C] -> [B, dim]; no gradient is needed. The caller disposes the result. */
  embed(images: tf.Tensor4D): tf.Tensor2D;
  /** A stable digest of the weights (caches of embeddings are keyed by it). */
  fingerprint(): string;
}
