/**
 * The pre-norm transformer block of torchvision's ViT (x + MHA(LN1(x)), then + MLP(LN2(x)), exact
 * GELU, nn.MultiheadAttention with biases), as one `tf.customGrad` op with its backward pass written
 * out.
 *
 * Why: TF.js's autodiff keeps the gradient of every intermediate tensor until the whole backward pass
 * ends, and every kernel input it saves (some only for their shapes). For the 10 focal views of a
 * batch of 16 that was ~6 GB on a ViT-Tiny step. As one op per block, the tape holds one gradient per
 * block, the backward temporaries are freed block by block, and only what the formulas read is
 * kept. The golden tests compare these gradients with PyTorch's autograd.
 */
import * as tf from "@tensorflow/tfjs";
import { erfGelu, erfGeluDerivative, layerNormBackward, layerNormForward, sumRows } from "./layers";

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];

/** Weights of one block, in torchvision's state-dict order (see `layerParamNames`). */
export type BlockWeights = [
  ln1w: tf.Tensor, ln1b: tf.Tensor, inW: tf.Tensor, inB: tf.Tensor, outW: tf.Tensor, outB: tf.Tensor,
  ln2w: tf.Tensor, ln2b: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor,
];

export interface BlockOptions {
  heads: number;
  eps: number;
  /**
   * Compute the class token's output only ([B, 1, D]): it still attends to every token. For the last
   * block, whose other outputs nothing reads.
   */
  clsOnly: boolean;
}

/** x [B, T, D] -> [B, T, D] (or [B, 1, D] with `clsOnly`). Differentiable in x and every weight. */
export function transformerBlock(x: tf.Tensor3D, weights: BlockWeights, o: BlockOptions): tf.Tensor3D {
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as (t: tf.Tensor[]) => void;
    const [xIn, ...w] = args as [tf.Tensor3D, ...BlockWeights];
    const { value, saved } = forward(xIn, w, o);
    save([...saved, ...w]);
    return { value, gradFunc: (dy: tf.Tensor3D, s: tf.Tensor[]) => tf.tidy(() => backward(dy, s, xIn.shape, o)) };
  }) as unknown as CustomGradFunc);
  return op(x, ...weights) as tf.Tensor3D;
}

/** Head split [B, T, D] -> [B, H, T, D/H] and back. */
const splitHeads = (x: tf.Tensor, b: number, t: number, h: number) => x.reshape([b, t, h, -1]).transpose([0, 2, 1, 3]);
const mergeHeads = (x: tf.Tensor, b: number, t: number) => x.transpose([0, 2, 1, 3]).reshape([b, t, -1]);

/** y = x·Wᵀ + b for 2-D x. */
const dense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true), b);

const SAVED = 14;

function forward(x: tf.Tensor3D, w: BlockWeights, o: BlockOptions): { value: tf.Tensor3D; saved: tf.Tensor[] } {
  const [ln1w, ln1b, inW, inB, outW, outB, ln2w, ln2b, w1, b1, w2, b2] = w;
  const [b, t, d] = x.shape;
  const tq = o.clsOnly ? 1 : t;
  const scale = 1 / Math.sqrt(d / o.heads);
  const ln1 = layerNormForward(x, ln1w, ln1b, o.eps);
  const h = ln1.y.reshape([b * t, d]);
  const qkv = dense(h, inW, inB).reshape([b, t, 3 * d]);
  const [qAll, k, v] = tf.split(qkv, 3, -1);
  // With clsOnly, the class token's query (the k and v of every token are still needed).
  const q = o.clsOnly ? qAll.slice([0, 0, 0], [b, 1, d]) : qAll;
  const qh = tf.mul(splitHeads(q, b, tq, o.heads), scale);
  const kh = splitHeads(k, b, t, o.heads);
  const vh = splitHeads(v, b, t, o.heads);
  const att = tf.softmax(tf.matMul(qh, kh, false, true));
  const attOut = mergeHeads(tf.matMul(att, vh), b, tq).reshape([b * tq, d]);
  const xRes = o.clsOnly ? x.slice([0, 0, 0], [b, 1, d]) : x;
  const x1 = tf.add(xRes, dense(attOut, outW, outB).reshape([b, tq, d]));
  const ln2 = layerNormForward(x1, ln2w, ln2b, o.eps);
  const h2 = ln2.y.reshape([b * tq, d]);
  // The MLP computes GELU(z)·W2ᵀ as g(u)·(W2/√2)ᵀ with u = z/√2 = h2·(W1/√2)ᵀ + b1/√2 (see erfGelu):
  // the 1/√2 factors scale the small weights instead of taking passes over [tokens, mlpDim].
  const u = dense(h2, tf.mul(w1, Math.SQRT1_2), tf.mul(b1, Math.SQRT1_2));
  const { g, ope } = erfGelu(u);
  const value = tf.add(x1, dense(g, tf.mul(w2, Math.SQRT1_2), b2).reshape([b, tq, d])) as tf.Tensor3D;
  return { value, saved: [ln1.xhat, ln1.rstd, h, qh, kh, vh, att, attOut, ln2.xhat, ln2.rstd, h2, u, ope, g] };
}

function backward(dy: tf.Tensor3D, s: tf.Tensor[], xShape: number[], o: BlockOptions): tf.Tensor[] {
  const [xhat1, rstd1, h, qh, kh, vh, att, attOut, xhat2, rstd2, h2, u, ope, g] = s;
  const [ln1w, , inW, , outW, , ln2w, , w1, , w2] = s.slice(SAVED) as unknown as BlockWeights;
  const [b, t, d] = xShape;
  const tq = o.clsOnly ? 1 : t;
  const scale = 1 / Math.sqrt(d / o.heads);
  // MLP and its residual.
  const dm = dy.reshape([b * tq, d]);
  const dw2 = tf.mul(tf.matMul(dm, g, true, false), Math.SQRT1_2);
  const db2 = sumRows(dm);
  const du = tf.mul(tf.matMul(dm, tf.mul(w2, Math.SQRT1_2)), erfGeluDerivative(u, ope));
  const dw1 = tf.mul(tf.matMul(du, h2, true, false), Math.SQRT1_2);
  const db1 = tf.mul(sumRows(du), Math.SQRT1_2);
  const [dx1Norm, dln2w, dln2b] = layerNormBackward(tf.matMul(du, tf.mul(w1, Math.SQRT1_2)).reshape([b, tq, d]), xhat2, rstd2, ln2w);
  const dx1 = tf.add(dy, dx1Norm);
  // Attention output projection and its residual.
  const da = dx1.reshape([b * tq, d]);
  const dOutW = tf.matMul(da, attOut, true, false);
  const dOutB = sumRows(da);
  const doh = splitHeads(tf.matMul(da, outW), b, tq, o.heads);
  // Scaled dot-product attention; softmax backward is att ⊙ (datt − Σ datt·att).
  const datt = tf.matMul(doh, vh, false, true);
  const ds = tf.mul(att, tf.sub(datt, tf.sum(tf.mul(datt, att), -1, true)));
  let dq = mergeHeads(tf.mul(tf.matMul(ds, kh), scale), b, tq);
  const dk = mergeHeads(tf.matMul(ds, qh, true, false), b, t);
  const dv = mergeHeads(tf.matMul(att, doh, true, false), b, t);
  if (o.clsOnly) dq = tf.pad(dq, [[0, 0], [0, t - 1], [0, 0]]);
  // The fused q/k/v projection.
  const dqkv = tf.concat([dq, dk, dv], -1).reshape([b * t, 3 * d]);
  const dInW = tf.matMul(dqkv, h, true, false);
  const dInB = sumRows(dqkv);
  const [dxNorm, dln1w, dln1b] = layerNormBackward(tf.matMul(dqkv, inW).reshape([b, t, d]), xhat1, rstd1, ln1w);
  const dxRes = o.clsOnly ? tf.pad(dx1, [[0, 0], [0, t - 1], [0, 0]]) : dx1;
  return [tf.add(dxNorm, dxRes), dln1w, dln1b, dInW, dInB, dOutW, dOutB, dln2w, dln2b, dw1, db1, dw2, db2];
}
