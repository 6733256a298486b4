/**
 * The MSN loss, as small composable functions with lightly's semantics (`lightly/loss/msn_loss.py`):
 * cross-entropy between the anchors' prototype assignments and the sharpened, Sinkhorn-balanced
 * assignments of the targets, plus mean-entropy maximisation (me-max) of the anchors.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";

export interface MsnLossOptions {
  /** Softmax temperature τ of the cosine similarities to the prototypes (default 0.1). */
  temperature?: number;
  /** Target sharpening temperature T: targets are p^(1/T) renormalised (default 0.25). */
  sharpenTemperature?: number;
  /** Sinkhorn-Knopp iterations on the target assignments; 0 turns Sinkhorn off (default 3). */
  sinkhornIterations?: number;
  /** Weight λ of the me-max regulariser (default 1). */
  meMaxWeight?: number;
}

export const MSN_LOSS_DEFAULTS: Required<MsnLossOptions> = {
  temperature: 0.1,
  sharpenTemperature: 0.25,
  sinkhornIterations: 3,
  meMaxWeight: 1,
};

/** Rows scaled to unit L2 norm, as F.normalize(x, dim=1, eps=1e-12). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12)) as tf.Tensor2D);
}

/** softmax(queries · prototypesᵀ / temperature) over the prototypes: [N, d], [K, d] -> [N, K]. */
export function prototypeProbabilities(
  queries: tf.Tensor2D,
  prototypes: tf.Tensor2D,
  temperature: number,
): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(tf.div(tf.matMul(queries, prototypes, false, true), temperature)) as tf.Tensor2D);
}

/** p^(1/temperature), renormalised per row (computed in log space: equal, and free of underflow). */
export function sharpen(probabilities: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(tf.div(tf.log(probabilities), temperature)) as tf.Tensor2D);
}

/**
 * Sinkhorn-Knopp balancing of [B, K] assignment probabilities: every prototype gets equal total mass
 * and every row sums to one. 0 iterations returns the input unchanged (a copy).
 */
export function sinkhorn(probabilities: tf.Tensor2D, iterations = 3): tf.Tensor2D {
  return tf.tidy(() => {
    if (iterations <= 0) return probabilities.clone();
    const [b, k] = probabilities.shape;
    let q: tf.Tensor2D = probabilities.transpose();
    q = tf.div(q, tf.sum(q));
    for (let i = 0; i < iterations; i++) {
      q = tf.div(tf.div(q, tf.sum(q, 1, true)), k);
      q = tf.div(tf.div(q, tf.sum(q, 0, true)), b);
    }
    return tf.mul(q, b).transpose();
  });
}

/** me-max regulariser: Σ_k p̄_k log p̄_k + log K with p̄ the mean of the rows (≥ 0, 0 when p̄ is uniform). */
export function meMax(probabilities: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const mean = tf.mean(probabilities, 0);
    return tf.add(tf.sum(tf.mul(mean, tf.log(mean))), Math.log(probabilities.shape[1]));
  });
}

/** Identity whose gradient is zero (TF.js has no stopGradient). */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * Target assignments for the loss: softmax of the cosine similarities, sharpened, Sinkhorn-balanced.
 * No gradient flows through them.
 */
export function targetProbabilities(
  targets: tf.Tensor2D,
  prototypes: tf.Tensor2D,
  options: MsnLossOptions = {},
): tf.Tensor2D {
  const o = { ...MSN_LOSS_DEFAULTS, ...options };
  return tf.tidy(() => {
    let p = prototypeProbabilities(
      l2Normalize(stopGradient(targets) as tf.Tensor2D),
      l2Normalize(stopGradient(prototypes) as tf.Tensor2D),
      o.temperature,
    );
    if (o.sharpenTemperature > 0) p = sharpen(p, o.sharpenTemperature);
    return sinkhorn(p, o.sinkhornIterations);
  });
}

/**
 * The MSN loss for anchors [V·B, d] (view-major: row i pairs with target row i mod B), targets [B, d]
 * and prototypes [K, d]: mean cross-entropy to the target assignments + λ·me-max. Targets may also be
 * given as precomputed assignments with `targetProbabilities` ({ probabilities }). Gradients flow into
 * the anchors and, through the anchors' assignments only (as in MSN), into the prototypes.
 */
export function msnLoss(
  anchors: tf.Tensor2D,
  targets: tf.Tensor2D | { probabilities: tf.Tensor2D },
  prototypes: tf.Tensor2D,
  options: MsnLossOptions = {},
): tf.Scalar {
  const o = { ...MSN_LOSS_DEFAULTS, ...options };
  const [rows, d] = anchors.shape;
  const b = "probabilities" in targets ? targets.probabilities.shape[0] : targets.shape[0];
  if (b === 0 || rows % b !== 0) {
    throw new InputError({ field: "anchors", expected: `a multiple of the ${b} target rows`, found: `${rows} rows` });
  }
  if (prototypes.shape[1] !== d || (!("probabilities" in targets) && targets.shape[1] !== d)) {
    throw new InputError({
      field: "prototypes",
      expected: `anchors, targets and prototypes of width ${d}`,
      found: `prototypes [${prototypes.shape}]`,
    });
  }
  return tf.tidy(() => {
    const target =
      "probabilities" in targets
        ? (stopGradient(targets.probabilities) as tf.Tensor2D)
        : targetProbabilities(targets, prototypes, o);
    const logits = tf.div(tf.matMul(l2Normalize(anchors), l2Normalize(prototypes), false, true), o.temperature);
    const logP = tf.logSoftmax(logits);
    const ce = tf.mean(tf.sum(tf.mul(tf.neg(tf.tile(target, [rows / b, 1])), logP), 1));
    if (o.meMaxWeight === 0) return ce as tf.Scalar;
    return tf.add(ce, tf.mul(meMax(tf.exp(logP) as tf.Tensor2D), o.meMaxWeight)) as tf.Scalar;
  });
}
