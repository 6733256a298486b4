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
import { erfGelu, erfGeluDerivative, normalizeRows, normalizeRowsBackward, sumRows } from "./layers";

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];

/** Weights of one block, in torchvision's state-dict order (see `layerParamNames`). */
export type BlockWeights = [
  ln1w: tf.Tensor,
  ln1b: tf.Tensor,
  inW: tf.Tensor,
  inB: tf.Tensor,
  outW: tf.Tensor,
  outB: tf.Tensor,
  ln2w: tf.Tensor,
  ln2b: tf.Tensor,
  w1: tf.Tensor,
  b1: tf.Tensor,
  w2: tf.Tensor,
  b2: tf.Tensor,
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

/**
 * Attention runs on 5-D [1, B, H, T, D/H] tensors: q, k and v come out of one transpose of the fused
 * projection [B, T, 3, H, D/H] -> [3, B, H, T, D/H] and a split along the first axis, which TensorFlow
 * does without copying (three splits and three transposes before).
 */
const headsOf = (qkv: tf.Tensor, b: number, t: number, h: number) =>
  tf.split(qkv.reshape([b, t, 3, h, -1]).transpose([2, 0, 3, 1, 4]), 3, 0);
/** [1, B, H, T, D/H] -> [B·T, D] and back. */
const mergeHeads = (x: tf.Tensor, n: number) => x.transpose([0, 1, 3, 2, 4]).reshape([n, -1]) as tf.Tensor2D;
const splitHeads = (x: tf.Tensor, b: number, t: number, h: number) =>
  x.reshape([1, b, t, h, -1]).transpose([0, 1, 3, 2, 4]);

/** y = x·Wᵀ + b for 2-D x. */
const dense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
  tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true), b);

/**
 * A LayerNorm's affine (γ, β) and a per-output scale r folded into the Linear (W, b) that reads it:
 * r ⊙ (W·(x̂ ⊙ γ + β) + b) = x̂·W'ᵀ + b' with W' = r ⊙ W ⊙ γ and b' = r ⊙ (b + W·β). `wb` is [W' | b'],
 * applied to the normalised rows with a column of ones appended, so that one matMul does the norm's
 * scale and shift and the Linear's bias: passes over [tokens, out] and [tokens, in] saved for a few
 * small ops on the weights.
 */
function foldAffine(
  w: tf.Tensor,
  b: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  r: tf.Tensor,
): { w: tf.Tensor2D; wb: tf.Tensor2D } {
  const wf = tf.mul(tf.mul(w, r), gamma) as tf.Tensor2D;
  const bf = tf.mul(tf.add(b.reshape([-1, 1]), tf.matMul(w as tf.Tensor2D, beta.reshape([-1, 1]) as tf.Tensor2D)), r);
  return { w: wf, wb: tf.concat([wf, bf], 1) as tf.Tensor2D };
}

/**
 * [dW, db, dγ, dβ] from the gradient of the folded [W' | b'] (see foldAffine): with G, g its columns
 * scaled by r, dW = G ⊙ γ + g·βᵀ, db = g, dγ = Σ_out G ⊙ W, dβ = gᵀ·W.
 */
function unfoldGrads(dwb: tf.Tensor2D, w: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, r: tf.Tensor): tf.Tensor[] {
  const [out, inPlusOne] = dwb.shape;
  const [gw, gb] = tf.split(tf.mul(dwb, r), [inPlusOne - 1, 1], 1);
  return [
    tf.add(tf.mul(gw, gamma), tf.mul(gb, beta)),
    gb.reshape([out]),
    sumRows(tf.mul(gw, w)),
    tf.matMul(gb as tf.Tensor2D, w as tf.Tensor2D, true, false).reshape([-1]),
  ];
}

/** Rows [N, D] normalised, and with a column of ones appended [N, D + 1]. */
function normalized(x: tf.Tensor2D, eps: number): { xhat: tf.Tensor2D; xhat1: tf.Tensor2D; rstd: tf.Tensor } {
  const { xhat, rstd } = normalizeRows(x, eps);
  return { xhat: xhat as tf.Tensor2D, xhat1: tf.concat([xhat, tf.ones([x.shape[0], 1])], 1) as tf.Tensor2D, rstd };
}

/** Output scales of the fused q/k/v projection: the attention's 1/√(D/H) goes into the q rows. */
function qkvScale(d: number, heads: number): tf.Tensor2D {
  const r = new Float32Array(3 * d).fill(1);
  r.fill(1 / Math.sqrt(d / heads), 0, d);
  return tf.tensor2d(r, [3 * d, 1]);
}

const SAVED = 17;

function forward(x: tf.Tensor3D, w: BlockWeights, o: BlockOptions): { value: tf.Tensor3D; saved: tf.Tensor[] } {
  const [ln1w, ln1b, inW, inB, outW, outB, ln2w, ln2b, w1, b1, w2, b2] = w;
  const [b, t, d] = x.shape;
  const tq = o.clsOnly ? 1 : t;
  const n1 = normalized(x.reshape([b * t, d]), o.eps);
  const inF = foldAffine(inW, inB, ln1w, ln1b, qkvScale(d, o.heads));
  const [qAll, k, v] = headsOf(tf.matMul(n1.xhat1, inF.wb, false, true), b, t, o.heads);
  // q is already scaled by 1/√(D/H) (qkvScale). With clsOnly, the class token's query only (the k
  // and v of every token are still needed).
  const q = o.clsOnly ? qAll.slice([0, 0, 0, 0, 0], [1, b, o.heads, 1, d / o.heads]) : qAll;
  const att = tf.softmax(tf.matMul(q, k, false, true));
  const attOut = mergeHeads(tf.matMul(att, v), b * tq);
  const xRes = (o.clsOnly ? x.slice([0, 0, 0], [b, 1, d]) : x).reshape([b * tq, d]);
  const x1 = tf.add(xRes, dense(attOut, outW, outB)) as tf.Tensor2D;
  const n2 = normalized(x1, o.eps);
  // The MLP computes GELU(z)·W2ᵀ as g(u)·(W2/√2)ᵀ with u = z/√2 (see erfGelu): the 1/√2 factors
  // scale the small weights instead of taking passes over [tokens, mlpDim].
  const mlpF = foldAffine(w1, b1, ln2w, ln2b, tf.scalar(Math.SQRT1_2));
  const u = tf.matMul(n2.xhat1, mlpF.wb, false, true);
  const { g, ope } = erfGelu(u);
  const w2s = tf.mul(w2, Math.SQRT1_2);
  const value = tf.add(x1, dense(g, w2s, b2)).reshape([b, tq, d]) as tf.Tensor3D;
  return {
    value,
    saved: [
      n1.xhat,
      n1.xhat1,
      n1.rstd,
      inF.w,
      q,
      k,
      v,
      att,
      attOut,
      n2.xhat,
      n2.xhat1,
      n2.rstd,
      mlpF.w,
      u,
      ope,
      g,
      w2s,
    ],
  };
}

function backward(dy: tf.Tensor3D, s: tf.Tensor[], xShape: number[], o: BlockOptions): tf.Tensor[] {
  const [xhat1, xa1, rstd1, inWf, q, k, v, att, attOut, xhat2, xa2, rstd2, w1f, u, ope, g, w2s] = s;
  const [ln1w, ln1b, inW, , outW, , ln2w, ln2b, w1] = s.slice(SAVED) as unknown as BlockWeights;
  const [b, t, d] = xShape;
  const tq = o.clsOnly ? 1 : t;
  // MLP and its residual.
  const dm = dy.reshape([b * tq, d]) as tf.Tensor2D;
  const dw2 = tf.mul(tf.matMul(dm, g, true, false), Math.SQRT1_2);
  const db2 = sumRows(dm);
  const du = tf.mul(tf.matMul(dm, w2s), erfGeluDerivative(u, ope));
  const [dw1, db1, dln2w, dln2b] = unfoldGrads(
    tf.matMul(du, xa2, true, false),
    w1,
    ln2w,
    ln2b,
    tf.scalar(Math.SQRT1_2),
  );
  const dx1 = normalizeRowsBackward(tf.matMul(du, w1f), xhat2, rstd2, dm) as tf.Tensor2D;
  // Attention output projection and its residual.
  const dOutW = tf.matMul(dx1, attOut, true, false);
  const dOutB = sumRows(dx1);
  const dOut = tf.matMul(dx1, outW);
  const dO = splitHeads(dOut, b, tq, o.heads);
  // Scaled dot-product attention (q pre-scaled). Softmax backward is att ⊙ (datt − Σ datt·att), where
  // Σ_j datt·att = Σ_c dO·O over the head's channels (as FlashAttention): a pass over [tokens, D]
  // instead of [B, H, T, T].
  const rowDot = tf
    .sum(tf.mul(dOut, attOut).reshape([1, b, tq, o.heads, -1]), -1)
    .transpose([0, 1, 3, 2])
    .reshape([1, b, o.heads, tq, 1]);
  const ds = tf.mul(att, tf.sub(tf.matMul(dO, v, false, true), rowDot));
  let dq = tf.matMul(ds, k);
  if (o.clsOnly)
    dq = tf.pad(dq, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, t - 1],
      [0, 0],
    ]);
  const dk = tf.matMul(ds, q, true, false);
  const dv = tf.matMul(att, dO, true, false);
  // The fused q/k/v projection with the first LayerNorm folded in.
  const dqkv = tf
    .concat([dq, dk, dv])
    .transpose([1, 3, 0, 2, 4])
    .reshape([b * t, 3 * d]) as tf.Tensor2D;
  const [dInW, dInB, dln1w, dln1b] = unfoldGrads(
    tf.matMul(dqkv, xa1, true, false),
    inW,
    ln1w,
    ln1b,
    qkvScale(d, o.heads),
  );
  const dxRes = o.clsOnly
    ? tf
        .pad(dx1.reshape([b, 1, d]), [
          [0, 0],
          [0, t - 1],
          [0, 0],
        ])
        .reshape([b * t, d])
    : dx1;
  const dx = normalizeRowsBackward(tf.matMul(dqkv, inWf), xhat1, rstd1, dxRes).reshape([b, t, d]);
  return [dx, dln1w, dln1b, dInW, dInB, dOutW, dOutB, dln2w, dln2b, dw1, db1, dw2, db2];
}
