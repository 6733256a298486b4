import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/util/random";

/**
 * A ViT-shaped toy model for backend checks: patchify by reshape + matMul, class token by
 * concat, LayerNorm, one attention head, exact-GELU MLP, a gather of rows (its gradient is
 * UnsortedSegmentSum, missing in wasm) and a conv2d with a trained filter
 * (Conv2DBackpropFilter, also missing in wasm).
 */
export interface ParityParams {
  wPatch: tf.Variable;
  cls: tf.Variable;
  pos: tf.Variable;
  wQkv: tf.Variable;
  w1: tf.Variable;
  w2: tf.Variable;
  filter: tf.Variable;
}

export const PARITY_SHAPES: Record<keyof ParityParams, number[]> = {
  wPatch: [48, 16],
  cls: [1, 1, 16],
  pos: [1, 5, 16],
  wQkv: [16, 48],
  w1: [16, 32],
  w2: [32, 16],
  filter: [3, 3, 3, 4],
};

/** Fixed values for every parameter and the input, the same on every backend. */
export function parityValues(seed = 1): { params: Record<keyof ParityParams, Float32Array>; x: Float32Array } {
  const rng = new Rng(seed);
  const fill = (n: number, sd: number) => Float32Array.from({ length: n }, () => rng.normal(0, sd));
  const params = {} as Record<keyof ParityParams, Float32Array>;
  for (const [k, shape] of Object.entries(PARITY_SHAPES))
    params[k as keyof ParityParams] = fill(
      shape.reduce((a, b) => a * b, 1),
      0.2,
    );
  return { params, x: fill(2 * 8 * 8 * 3, 1) };
}

export function makeParams(values: Record<keyof ParityParams, Float32Array>): ParityParams {
  const out = {} as Record<string, tf.Variable>;
  for (const [k, shape] of Object.entries(PARITY_SHAPES))
    out[k] = tf.variable(tf.tensor(values[k as keyof ParityParams], shape), true, `${k}_${Math.random()}`);
  return out as unknown as ParityParams;
}

export function parityLoss(p: ParityParams, x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const b = x.shape[0];
    // 8x8x3 image -> 4 patches of 4x4x3 -> [b, 4, 48]
    const patches = x.reshape([b, 2, 4, 2, 4, 3]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, 4, 48]);
    let h = tf.matMul(patches.reshape([b * 4, 48]), p.wPatch).reshape([b, 4, 16]);
    h = tf.concat([tf.tile(p.cls, [b, 1, 1]), h], 1).add(p.pos);
    const { mean, variance } = tf.moments(h, -1, true);
    const n = h.sub(mean).mul(tf.rsqrt(variance.add(1e-6)));
    const qkv = tf.matMul(n.reshape([b * 5, 16]), p.wQkv).reshape([b, 5, 48]);
    const [q, k, v] = tf.split(qkv, 3, -1);
    const att = tf.softmax(tf.matMul(q, k, false, true).div(4), -1);
    h = h.add(tf.matMul(att, v));
    const m = tf.matMul(h.reshape([b * 5, 16]), p.w1);
    const gelu = m.mul(0.5).mul(tf.erf(m.div(Math.SQRT2)).add(1));
    h = h.add(tf.matMul(gelu, p.w2).reshape([b, 5, 16]));
    const picked = tf.gather(h.reshape([b * 5, 16]), tf.tensor1d([0, 5, 3, 3], "int32"));
    const conv = tf.conv2d(x, p.filter as unknown as tf.Tensor4D, 1, "same");
    return picked.square().mean().add(conv.square().mean()) as tf.Scalar;
  });
}
