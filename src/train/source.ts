import type * as tf from "@tensorflow/tfjs";

/** The views of one pretraining micro-batch of B images, NHWC float32. */
export interface PretrainBatch {
  /** Target views [B, S, S, C] (S = imageSize). */
  target: tf.Tensor4D;
  /** Random anchor views [B, S, S, C]. */
  anchor: tf.Tensor4D;
  /** Focal views [V·B, s, s, C] (s = focalSize), view-major. */
  focal: tf.Tensor4D;
  /** EHR vectors [B, ehrIn], when the run fuses EHR. */
  ehr?: tf.Tensor2D;
}

/**
 * Where pretraining gets its batches. Random access by (epoch, index) rather than an iterator, so
 * that a resumed run replays exactly the batches (order, crops, flips) an uninterrupted run sees:
 * implementations derive all their randomness from their seed, the epoch and the index.
 */
export interface BatchSource {
  /** Micro-batches in one epoch. */
  readonly batchesPerEpoch: number;
  /** Names of the EHR columns of `ehr` (empty when the batches carry no EHR). */
  readonly ehrFeatures: readonly string[];
  /**
   * A short description of the data (sizes, features, cache key; never a patient id). A checkpoint
   * records it, and resuming on different data is refused.
   */
  readonly signature: string;
  /** Batch `index` (0-based) of `epoch`; the same arguments always give the same values. The caller disposes the tensors. */
  batch(epoch: number, index: number): PretrainBatch | Promise<PretrainBatch>;
}
