/**
 * Health of an MSN run, measured once per epoch on one batch of target views (one readback): how
 * many prototypes the targets use, how sure each assignment is, and whether the encoder's class
 * tokens have collapsed. A falling loss alone does not say that the encoder learns anything.
 */
import * as tf from "@tensorflow/tfjs";
import { l2Normalize, prototypeProbabilities } from "../model/loss";
import type { MsnModel } from "../model/msn";
import { jacobiEigen } from "../projection/pca";

export interface MsnDiagnostics {
  /** Entropy (nats) of the batch's mean prototype assignment: log K when every prototype is used equally, 0 when one takes all. */
  meanAssignmentEntropy: number;
  /** Distinct prototypes that are some target view's most likely one (at most the batch size). */
  argmaxPrototypes: number;
  /** Mean entropy (nats) of each target view's own assignment: log K says the prototypes do not tell the views apart. */
  sampleEntropy: number;
  /** Standard deviation across the batch of the L2-normalised class tokens, averaged over dimensions (collapse: 0; spread evenly: 1/sqrt(D)). */
  embeddingStd: number;
  /** Effective rank (exp of the entropy of the normalised singular values) of the batch's centred class tokens. */
  embeddingRank: number;
}

/** The diagnostics of `model` on target views [B, S, S, C] (B ≥ 2), with the loss's `temperature`. */
export async function msnDiagnostics(
  model: MsnModel,
  views: tf.Tensor4D,
  temperature: number,
): Promise<MsnDiagnostics> {
  const [probs, gram, std] = tf.tidy(() => {
    const tokens = model.target.forward(views);
    const p = prototypeProbabilities(
      l2Normalize(model.targetHead.forward(tokens)),
      l2Normalize(model.prototypes as tf.Tensor2D),
      temperature,
    );
    const unit = l2Normalize(tokens);
    const centred = tf.sub(unit, tf.mean(unit, 0, true));
    return [p, tf.matMul(centred, centred, false, true), tf.mean(tf.sqrt(tf.mean(tf.square(centred), 0)))];
  });
  const [p, g, s] = await Promise.all([probs.data(), gram.data(), std.data()]);
  const [b, k] = probs.shape;
  tf.dispose([probs, gram, std]);
  return { ...assignmentStats(p, b, k), embeddingStd: s[0], embeddingRank: effectiveRank(Float64Array.from(g), b) };
}

/** Prototype usage of assignments [b, k] (rows sum to one). */
export function assignmentStats(
  p: ArrayLike<number>,
  b: number,
  k: number,
): Pick<MsnDiagnostics, "meanAssignmentEntropy" | "argmaxPrototypes" | "sampleEntropy"> {
  const mean = new Float64Array(k);
  const winners = new Set<number>();
  let sampleEntropy = 0;
  for (let i = 0; i < b; i++) {
    let best = 0;
    for (let j = 0; j < k; j++) {
      const v = p[i * k + j];
      mean[j] += v / b;
      if (v > 0) sampleEntropy -= (v * Math.log(v)) / b;
      if (v > p[i * k + best]) best = j;
    }
    winners.add(best);
  }
  return { meanAssignmentEntropy: entropy(mean), argmaxPrototypes: winners.size, sampleEntropy };
}

/** exp(entropy) of the singular values (normalised to sum 1) of X, given its Gram matrix X·Xᵀ [m, m]. */
export function effectiveRank(gram: Float64Array, m: number): number {
  const sv = Array.from(jacobiEigen(gram, m).values, (e) => Math.sqrt(Math.max(0, e)));
  const total = sv.reduce((a, x) => a + x, 0);
  if (total === 0) return 0;
  return Math.exp(entropy(sv.map((x) => x / total)));
}

function entropy(q: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < q.length; i++) if (q[i] > 0) h -= q[i] * Math.log(q[i]);
  return h;
}
