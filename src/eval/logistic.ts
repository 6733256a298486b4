/**
 * The linear probe as scikit-learn users fit one: `StandardScaler()` on the training embeddings, then
 * per label `LogisticRegression(C=c)` on the rows whose label is not ignored, solved to convergence,
 * with `c` chosen on the validation macro AUROC
 * (the protocol of CLIP's linear probes). At a few thousand images the authors' protocol (Adam, at
 * most 50 epochs, the best epoch on validation) stops far from the optimum and picks its epoch on a
 * noisy validation AUROC; docs/demo-study.md has the measurements.
 *
 * Newton's method with a backtracking line search: the objective is smooth and strictly convex in
 * the weights, so it converges in a few steps to the optimum scikit-learn's lbfgs finds
 * (test/golden/logistic_reference.py). Each step costs n * (d + 1)^2 per label (the Hessians), fine
 * for a study of thousands of images; at MIMIC's size the authors' protocol is the one to use.
 */
import * as tf from "@tensorflow/tfjs";
import { CholeskyDecomposition, Matrix } from "ml-matrix";
import { IGNORE_LABEL } from "../util/labels";
import { InputError } from "../util/errors";
import { checkNumber } from "../util/validate";
import type { Points } from "../projection/points";
import type { NamedValues } from "./matrix";
import type { HeadWeights } from "./head";

/** The default grid of inverse regularisation strengths (scikit-learn's C), a factor ~3 apart. */
export const LOGISTIC_C_GRID: readonly number[] = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];

/** Checks a grid of C values (InputError naming the bad entry). */
export function checkCGrid(cs: readonly number[], field = "logisticC"): void {
  if (!Array.isArray(cs) || cs.length === 0)
    throw new InputError({ field, expected: "at least one C value > 0", found: JSON.stringify(cs) });
  cs.forEach((c, i) => checkNumber(c, `${field}[${i}]`, { min: 0, minExclusive: true }));
}

/** Training rows' mean and standard deviation per dimension (population sd, as StandardScaler; 1 where constant). */
function scaler(x: Points): { mean: Float64Array; sd: Float64Array } {
  const { n, dims, data } = x;
  const mean = new Float64Array(dims);
  const sd = new Float64Array(dims);
  for (let i = 0; i < n; i++) for (let j = 0; j < dims; j++) mean[j] += data[i * dims + j];
  mean.forEach((m, j) => (mean[j] = m / n));
  for (let i = 0; i < n; i++) for (let j = 0; j < dims; j++) sd[j] += (data[i * dims + j] - mean[j]) ** 2;
  sd.forEach((s, j) => (sd[j] = Math.sqrt(s / n) || 1));
  return { mean, sd };
}

/** A fitted probe: the head (on raw embeddings) and the Newton steps it took. */
export interface LogisticFit {
  head: HeadWeights;
  iterations: number;
  /** Weights on the standardised embeddings with the bias last, [(d + 1) x labels] (a warm start for the next C). */
  standardized: Float64Array;
}

/**
 * Fits one L2-regularised logistic regression per label on standardised embeddings: minimises
 * `sum_i log(1 + exp(-s_i z_i)) + ||w||^2 / (2 c)` over the rows whose label is not ignored (the
 * bias is not penalised, as scikit-learn's lbfgs). A label with one class only in training gets
 * zero weights and the bias of its smoothed rate. The head returned applies to raw embeddings.
 */
export function fitLogistic(
  x: Points,
  y: NamedValues,
  c: number,
  opts: { warmStart?: Float64Array; tolerance?: number; maxIterations?: number } = {},
): LogisticFit {
  const { n, dims } = x;
  const k = y.names.length;
  const p = dims + 1;
  const { mean, sd } = scaler(x);
  const design = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dims; j++) design[i * p + j] = (x.data[i * dims + j] - mean[j]) / sd[j];
    design[i * p + dims] = 1;
  }
  const labels = new Float32Array(n * k);
  const mask = new Float32Array(n * k);
  const positives = new Float64Array(k);
  const counted = new Float64Array(k);
  for (let i = 0; i < n * k; i++) {
    const v = y.values[i];
    if (v === IGNORE_LABEL) continue;
    mask[i] = 1;
    labels[i] = v;
    positives[i % k] += v;
    counted[i % k]++;
  }
  const oneClass = Array.from({ length: k }, (_, j) => positives[j] === 0 || positives[j] === counted[j]);
  const w = opts.warmStart ? Float64Array.from(opts.warmStart) : new Float64Array(p * k);
  oneClass.forEach((single, j) => {
    if (!single) return;
    for (let r = 0; r < p; r++) w[r * k + j] = 0;
    w[dims * k + j] = Math.log((positives[j] + 0.5) / (counted[j] - positives[j] + 0.5));
  });
  const X = tf.tensor2d(design, [n, p]);
  const Y = tf.tensor2d(labels, [n, k]);
  const M = tf.tensor2d(mask, [n, k]);
  const lambda = 1 / c;
  const penalty = (v: Float64Array, j: number) => {
    let s = 0;
    for (let r = 0; r < dims; r++) s += v[r * k + j] ** 2;
    return (lambda * s) / 2;
  };
  /** Per label: the data term of the objective at weights `v`. */
  const losses = (v: Float64Array): Float64Array =>
    Float64Array.from(
      tf
        .tidy(() => {
          const z = tf.matMul(X, tf.tensor2d(Float32Array.from(v), [p, k]));
          const l = tf.add(tf.sub(tf.relu(z), tf.mul(z, Y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
          return tf.sum(tf.mul(l, M), 0);
        })
        .dataSync(),
    );
  const tolerance = opts.tolerance ?? 1e-4;
  const maxIterations = opts.maxIterations ?? 100;
  const active = oneClass.map((single) => !single);
  let iterations = 0;
  try {
    const f = losses(w);
    while (iterations < maxIterations && active.some(Boolean)) {
      iterations++;
      // Gradient [p x k] and each active label's Hessian [p x p], in float32 on the backend.
      const { grad, hessians } = tf.tidy(() => {
        const z = tf.matMul(X, tf.tensor2d(Float32Array.from(w), [p, k]));
        const prob = tf.sigmoid(z);
        const g = tf.matMul(X, tf.mul(tf.sub(prob, Y), M), true, false);
        const s = tf.mul(tf.mul(prob, tf.sub(1, prob)), M);
        const h = active.map((on, j) =>
          on ? tf.matMul(X, tf.mul(X, tf.slice(s, [0, j], [n, 1])), true, false).dataSync() : undefined,
        );
        return { grad: g.dataSync(), hessians: h };
      });
      const step = new Float64Array(p * k);
      const slope = new Float64Array(k);
      active.forEach((on, j) => {
        if (!on) return;
        const g = Array.from({ length: p }, (_, r) => grad[r * k + j] + (r < dims ? lambda * w[r * k + j] : 0));
        // Converged when no gradient entry exceeds `tolerance` per training row.
        if (Math.max(...g.map(Math.abs)) < tolerance * counted[j]) {
          active[j] = false;
          return;
        }
        const h = new Matrix(p, p);
        const hj = hessians[j]!;
        // Symmetrised: float32 products leave the two triangles a rounding apart.
        for (let a = 0; a < p; a++)
          for (let b = a; b < p; b++) {
            const v = (hj[a * p + b] + hj[b * p + a]) / 2 + (a === b && a < dims ? lambda : 0);
            h.set(a, b, v);
            h.set(b, a, v);
          }
        const d = new CholeskyDecomposition(h).solve(Matrix.columnVector(g)).getColumn(0);
        d.forEach((v, r) => {
          step[r * k + j] = v;
          slope[j] += v * g[r];
        });
      });
      // Backtracking (Armijo) per label: labels are independent, so each keeps its own step length.
      const t = new Float64Array(k).fill(1);
      let pending = active.slice();
      for (let tries = 0; tries < 40 && pending.some(Boolean); tries++) {
        const trial = Float64Array.from(w);
        pending.forEach((on, j) => {
          if (on) for (let r = 0; r < p; r++) trial[r * k + j] = w[r * k + j] - t[j] * step[r * k + j];
        });
        const ft = losses(trial);
        pending = pending.map((on, j) => {
          if (!on) return false;
          const before = f[j] + penalty(w, j);
          if (ft[j] + penalty(trial, j) <= before - 1e-4 * t[j] * slope[j]) {
            for (let r = 0; r < p; r++) w[r * k + j] = trial[r * k + j];
            f[j] = ft[j];
            return false;
          }
          t[j] /= 2;
          return true;
        });
      }
      // A label whose step no longer lowers the objective is at the optimum within float32's precision.
      pending.forEach((stuck, j) => stuck && (active[j] = false));
    }
  } finally {
    tf.dispose([X, Y, M]);
  }
  return { head: rawHead(w, mean, sd, y.names), iterations, standardized: w };
}

/** The head on raw embeddings equal to weights `w` on standardised ones: w_raw = w / sd, b_raw = b - sum(w mean / sd). */
function rawHead(w: Float64Array, mean: Float64Array, sd: Float64Array, names: readonly string[]): HeadWeights {
  const k = names.length;
  const dims = mean.length;
  const weight = new Float32Array(dims * k);
  const bias = new Float32Array(k);
  for (let j = 0; j < k; j++) {
    let b = w[dims * k + j];
    for (let r = 0; r < dims; r++) {
      weight[r * k + j] = w[r * k + j] / sd[r];
      b -= (w[r * k + j] * mean[r]) / sd[r];
    }
    bias[j] = b;
  }
  return { names, dim: dims, weight, bias };
}

/** The C a validation sweep kept, with its Newton steps and validation macro AUROC. */
export interface LogisticChoice {
  c: number;
  iterations: number;
  valAuroc: number;
}

/**
 * Fits the probe for every C of `cs` (in increasing order, each warm-started from the previous) and
 * keeps the one with the best validation macro AUROC (the first of equals). `score` gives the
 * validation macro AUROC of a head.
 */
export async function logisticSweep(
  train: { x: Points; y: NamedValues },
  cs: readonly number[],
  score: (head: HeadWeights) => Promise<number>,
): Promise<{ head: HeadWeights; chosen: LogisticChoice; sweep: LogisticChoice[] }> {
  checkCGrid(cs);
  const sweep: LogisticChoice[] = [];
  let best: { head: HeadWeights; chosen: LogisticChoice } | undefined;
  let warmStart: Float64Array | undefined;
  for (const c of [...cs].sort((a, b) => a - b)) {
    const fit = fitLogistic(train.x, train.y, c, { warmStart });
    warmStart = fit.standardized;
    const choice = { c, iterations: fit.iterations, valAuroc: await score(fit.head) };
    sweep.push(choice);
    if (!best || choice.valAuroc > best.chosen.valAuroc) best = { head: fit.head, chosen: choice };
  }
  return { ...best!, sweep };
}
