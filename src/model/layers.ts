/**
 * The differentiable building blocks of the models, on plain TF.js ops that have gradients on every
 * backend. Weights keep PyTorch's layout (a Linear weight is [out, in]) so that reference weights load
 * unchanged and gradients compare element by element.
 *
 * Linear, LayerNorm and GELU have their gradients written out with `tf.customGrad` (and the
 * transformer block as a whole, in block.ts): derived op by op, TF.js keeps every input of every
 * kernel alive until the backward pass (an add or a reshape keeps its inputs just for their shapes),
 * and the gradient of every intermediate tensor until the backward pass ends. The golden tests check
 * these gradients against PyTorch's autograd.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];
type Save = (tensors: tf.Tensor[]) => void;

/**
 * Column sums of x viewed as [rows, last axis] (a bias gradient), as a matMul with a row of ones:
 * TensorFlow's CPU reduction over the outer axis ran at ~0.2 GFLOP/s here, 10-20x slower.
 */
export function sumRows(x: tf.Tensor): tf.Tensor1D {
  const c = x.shape[x.rank - 1];
  const flat = (x.rank === 2 ? x : x.reshape([-1, c])) as tf.Tensor2D;
  return tf.matMul(tf.ones([1, flat.shape[0]]), flat).reshape([c]);
}

const linearOp = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: Save) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w, false, true), b),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor[]) => [
      tf.matMul(dy, ws as tf.Tensor2D),
      tf.matMul(dy, xs as tf.Tensor2D, true, false),
      sumRows(dy),
    ],
  };
}) as unknown as CustomGradFunc);

const linearNoBiasOp = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: Save) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w, false, true),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor[]) => [
      tf.matMul(dy, ws as tf.Tensor2D),
      tf.matMul(dy, xs as tf.Tensor2D, true, false),
    ],
  };
}) as unknown as CustomGradFunc);

/** y = x · Wᵀ + b for x [N, in], W [out, in], b [out] (nn.Linear). */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  return (bias ? linearOp(x, weight, bias) : linearNoBiasOp(x, weight)) as tf.Tensor2D;
}

/** Rows normalised over the last axis (biased variance): x̂ = (x − mean)·rstd, and rstd. */
export function normalizeRows(x: tf.Tensor, eps: number): { xhat: tf.Tensor; rstd: tf.Tensor } {
  const xc = tf.sub(x, tf.mean(x, -1, true));
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps));
  return { xhat: tf.mul(xc, rstd), rstd };
}

/**
 * The gradient of x from that of x̂ = normalizeRows(x), rstd·(dx̂ − mean(dx̂)) − x̂·rstd·mean(dx̂·x̂),
 * plus `residual` (the gradient reaching x by another path) summed in the same pass by addN.
 */
export function normalizeRowsBackward(
  dxhat: tf.Tensor,
  xhat: tf.Tensor,
  rstd: tf.Tensor,
  residual?: tf.Tensor,
): tf.Tensor {
  const terms = [
    tf.mul(tf.sub(dxhat, tf.mean(dxhat, -1, true)), rstd),
    tf.mul(xhat, tf.mul(tf.mean(tf.mul(dxhat, xhat), -1, true), tf.neg(rstd))),
  ];
  return tf.addN(residual ? [...terms, residual] : terms);
}

/** LayerNorm's forward pieces: the output and what its backward pass reads. */
export function layerNormForward(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps: number,
): { y: tf.Tensor; xhat: tf.Tensor; rstd: tf.Tensor } {
  const { xhat, rstd } = normalizeRows(x, eps);
  return { y: tf.add(tf.mul(xhat, weight), bias), xhat, rstd };
}

/** LayerNorm's gradients [dx, dweight, dbias] from the saved normalised input and inverse deviation. */
export function layerNormBackward(dy: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, weight: tf.Tensor): tf.Tensor[] {
  return [normalizeRowsBackward(tf.mul(dy, weight), xhat, rstd), sumRows(tf.mul(dy, xhat)), sumRows(dy)];
}

/** LayerNorm over the last axis with a biased variance, as torch.nn.LayerNorm. */
export function layerNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): T {
  const op = tf.customGrad(((xIn: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: Save) => {
    const { y, xhat, rstd } = layerNormForward(xIn, w, b, eps);
    save([xhat, rstd, w]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [xh, r, wt]: tf.Tensor[]) => tf.tidy(() => layerNormBackward(dy, xh, r, wt)),
    };
  }) as unknown as CustomGradFunc);
  return op(x, weight, bias) as T;
}

/**
 * The exact GELU in the variable u = x/√2, where x·Φ(x) = u·(1 + erf u)/√2: `g` = u·(1 + erf u) and
 * `ope` = 1 + erf u (what the derivative reads). Three passes over the tensor; callers fold the two
 * 1/√2 factors into the weights around it (block.ts) instead of spending passes on them.
 */
export function erfGelu(u: tf.Tensor): { g: tf.Tensor; ope: tf.Tensor } {
  const ope = tf.add(tf.erf(u), 1);
  return { g: tf.mul(u, ope), ope };
}

/** ln(2/√π): (2/√π)·exp(−u²) is computed as exp(ln(2/√π) − u²), one pass fewer. */
const LN_2_OVER_SQRT_PI = Math.log(2 / Math.sqrt(Math.PI));

/** d/du u·(1 + erf u) = 1 + erf u + (2/√π)·u·exp(−u²), from u and `ope` = 1 + erf u. */
export function erfGeluDerivative(u: tf.Tensor, ope: tf.Tensor): tf.Tensor {
  return tf.add(ope, tf.mul(u, tf.exp(tf.sub(LN_2_OVER_SQRT_PI, tf.square(u)))));
}

const geluOp = tf.customGrad(((x: tf.Tensor, save: Save) => {
  const u = tf.mul(x, Math.SQRT1_2);
  const { g, ope } = erfGelu(u);
  save([u, ope]);
  // x·Φ(x) = g/√2, and d/dx = (dg/du)·(du/dx)/√2 = (dg/du)/2.
  return {
    value: tf.mul(g, Math.SQRT1_2),
    gradFunc: (dy: tf.Tensor, [us, o]: tf.Tensor[]) => tf.tidy(() => tf.mul(tf.mul(dy, 0.5), erfGeluDerivative(us, o))),
  };
}) as unknown as CustomGradFunc);

/** GELU with the exact erf form (torch.nn.GELU's default), not the tanh approximation. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return geluOp(x) as T;
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
  truncNormal: (n: number, std: number, rng: Rng) =>
    Float32Array.from({ length: n }, () => {
      for (;;) {
        const v = rng.normal(0, std);
        if (v >= -2 && v <= 2) return v;
      }
    }),
  /** xavier_uniform_ for a [fanOut, fanIn] weight. */
  xavierUniform: (fanOut: number, fanIn: number, rng: Rng) =>
    init.uniform(fanOut * fanIn, Math.sqrt(6 / (fanIn + fanOut)), rng),
  /** nn.Linear's default weight init, kaiming_uniform_(a=√5): U(-1/√fanIn, 1/√fanIn); also its bias. */
  linearDefault: (n: number, fanIn: number, rng: Rng) => init.uniform(n, 1 / Math.sqrt(fanIn), rng),
};
