/**
 * The few differentiable building blocks of the models, written on plain TF.js ops that have
 * gradients on every backend. Weights keep PyTorch's layout (a Linear weight is [out, in]) so that
 * reference weights load unchanged and gradients compare element by element.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";

/** y = x · Wᵀ + b for x [N, in], W [out, in], b [out]. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, weight, false, true) as tf.Tensor2D;
  return bias ? (tf.add(y, bias) as tf.Tensor2D) : y;
}

/** LayerNorm over the last axis with a biased variance, as torch.nn.LayerNorm. */
export function layerNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), weight), bias) as T;
}

/** GELU with the exact erf form (torch.nn.GELU's default), not the tanh approximation. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T;
}

/**
 * BatchNorm1d in training mode (batch statistics, biased variance for normalising), as the MSN
 * projection heads always run during pretraining. Running statistics are not kept: nothing reads them.
 */
export function batchNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 0, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), weight), bias);
}

/** PyTorch's initialisers, drawn from a seeded stream. Each returns `n` float32 values. */
export const init = {
  zeros: (n: number) => new Float32Array(n),
  ones: (n: number) => new Float32Array(n).fill(1),
  normal: (n: number, std: number, rng: Rng) => Float32Array.from({ length: n }, () => rng.normal(0, std)),
  uniform: (n: number, bound: number, rng: Rng) => Float32Array.from({ length: n }, () => rng.range(-bound, bound)),
  /** nn.init.trunc_normal_(std, a=-2, b=2): the bounds are absolute, as in PyTorch. */
  truncNormal: (n: number, std: number, rng: Rng) => Float32Array.from({ length: n }, () => {
    for (;;) {
      const v = rng.normal(0, std);
      if (v >= -2 && v <= 2) return v;
    }
  }),
  /** xavier_uniform_ for a [fanOut, fanIn] weight. */
  xavierUniform: (fanOut: number, fanIn: number, rng: Rng) => init.uniform(fanOut * fanIn, Math.sqrt(6 / (fanIn + fanOut)), rng),
  /** nn.Linear's default weight init, kaiming_uniform_(a=√5): U(-1/√fanIn, 1/√fanIn); also its bias. */
  linearDefault: (n: number, fanIn: number, rng: Rng) => init.uniform(n, 1 / Math.sqrt(fanIn), rng),
};
