import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/util/random";
import type { PretrainConfig } from "../../src/train/config";
import type { BatchSource, PretrainBatch } from "../../src/train/source";
import { pretrainOnSource } from "../../src/train/pretrain";

/** A tiny model and view geometry (16 px views of 4 px patches, 8 px focal views) that trains in milliseconds per step. */
export const TINY: Partial<PretrainConfig> = {
  dim: 16,
  layers: 2,
  heads: 2,
  patch: 4,
  imageSize: 16,
  focalSize: 8,
  focalViews: 2,
  numPrototypes: 16,
  projHidden: 32,
  projOut: 16,
  ehrDim: 8,
  batchSize: 8,
  epochs: 2,
  lr: 1e-3,
  seed: 3,
};

export interface SyntheticOptions {
  images?: number;
  batchSize?: number;
  imageSize?: number;
  focalSize?: number;
  focalViews?: number;
  ehrFeatures?: string[];
  seed?: number;
  /** Global batch (epoch · batchesPerEpoch + index) from which every view is NaN. */
  nanFrom?: number;
}

/**
 * Synthetic pretraining data: 32x32 grey images made of one of four stripe patterns plus noise,
 * views as random crops (resized) with random flips, and an EHR vector tied to the pattern. Every
 * value follows from (seed, epoch, index), as a BatchSource must guarantee.
 */
export function syntheticSource(o: SyntheticOptions = {}): BatchSource {
  const n = o.images ?? 32;
  const b = o.batchSize ?? 8;
  const size = o.imageSize ?? 16;
  const focalSize = o.focalSize ?? 8;
  const views = o.focalViews ?? 2;
  const features = o.ehrFeatures ?? [];
  const seed = o.seed ?? 1;
  const side = 32;
  const base = new Rng(seed);
  const kinds = Array.from({ length: n }, (_, i) => i % 4);
  const pixels = kinds.map((k, i) => {
    const r = base.fork(`image:${i}`);
    return Float32Array.from({ length: side * side }, (_, p) => {
      const y = Math.floor(p / side);
      const x = p % side;
      const stripe = k === 0 ? x : k === 1 ? y : k === 2 ? x + y : x - y;
      return Math.sin(stripe * (0.4 + 0.15 * k)) + 0.3 * r.normal();
    });
  });
  const batchesPerEpoch = Math.ceil(n / b);
  return {
    batchesPerEpoch,
    ehrFeatures: features,
    signature: `synthetic(images=${n}, seed=${seed})`,
    batch(epoch: number, index: number): PretrainBatch {
      const order = new Rng(seed).fork(`order:${epoch}`).permutation(n);
      const ids = Array.from(order.subarray(index * b, Math.min((index + 1) * b, n)));
      const rng = new Rng(seed).fork(`views:${epoch}:${index}`);
      const nan = o.nanFrom !== undefined && epoch * batchesPerEpoch + index >= o.nanFrom;
      return tf.tidy((): tf.TensorContainer => {
        const imgs = tf.tensor4d(Float32Array.from(ids.flatMap((i) => [...pixels[i]])), [ids.length, side, side, 1]);
        const crop = (out: number, minScale: number, maxScale: number) => {
          const boxes: number[][] = [];
          for (let j = 0; j < ids.length; j++) {
            const s = Math.sqrt(rng.range(minScale, maxScale));
            const y0 = rng.range(0, 1 - s);
            const x0 = rng.range(0, 1 - s);
            boxes.push(rng.bernoulli(0.5) ? [y0, x0, y0 + s, x0 + s] : [y0, x0 + s, y0 + s, x0]);
          }
          const v = tf.image
            .cropAndResize(
              imgs,
              boxes,
              ids.map((_, j) => j),
              [out, out],
            )
            .tile([1, 1, 1, 3]) as tf.Tensor4D;
          return nan ? (v.mul(NaN) as tf.Tensor4D) : v;
        };
        const target = crop(size, 0.3, 1);
        const anchor = crop(size, 0.3, 1);
        const focal =
          views > 0
            ? (tf.concat(Array.from({ length: views }, () => crop(focalSize, 0.05, 0.3))) as tf.Tensor4D)
            : (tf.zeros([0, focalSize, focalSize, 3]) as tf.Tensor4D);
        const batch: PretrainBatch = { target, anchor, focal };
        if (features.length > 0) {
          batch.ehr = tf.tensor2d(
            ids.flatMap((i) => features.map((_, f) => (f === kinds[i] % features.length ? 1 : 0) + 0.1 * rng.normal())),
            [ids.length, features.length],
          );
        }
        return batch as unknown as tf.TensorContainer;
      }) as unknown as PretrainBatch;
    },
  };
}

/** Every parameter of a model state as one flat array (for exact comparisons). */
export function flatState(state: Map<string, { data: Float32Array }>): Float32Array {
  const parts = [...state.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, t]) => t.data);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Asserts that a run of `config` for 2 epochs, stopped by an error thrown right after the checkpoint of
 * step 3 and resumed from it, ends with the weights and loss history of an uninterrupted run.
 */
export async function assertResumesExactly(config: Partial<PretrainConfig>, dir: string): Promise<void> {
  const source = syntheticSource();
  const whole = await pretrainOnSource({ ...config, epochs: 2 }, source, { quiet: true });
  const first = await pretrainOnSource({ ...config, epochs: 2, checkpointEvery: 3 }, source, {
    dir,
    quiet: true,
    callbacks: {
      onCheckpoint: ({ step }) => {
        if (step === 3) throw new Error("killed");
      },
    },
  }).catch((e: Error) => e);
  assert.equal((first as Error).message, "killed");
  const resumed = await pretrainOnSource({ ...config, epochs: 2, checkpointEvery: 3 }, source, {
    dir,
    resume: true,
    quiet: true,
  });
  assert.equal(resumed.resumedFrom, 3);
  assert.deepEqual(flatState(resumed.model.state()), flatState(whole.model.state()));
  assert.deepEqual(resumed.history.loss, whole.history.loss);
  [whole, resumed].forEach((r) => r.model.dispose());
}
