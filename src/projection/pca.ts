/**
 * Principal components for t-SNE's initialisation: the covariance matrix is formed on the
 * TensorFlow.js backend (one d x d matrix product), its leading eigenvectors found by randomised
 * subspace iteration with a Rayleigh-Ritz step (as scikit-learn's `svd_solver="randomized"`). The
 * small eigenproblems are solved by cyclic Jacobi rotations: TensorFlow.js has no eigensolver and
 * the matrices here are at most a few dozen rows.
 */
import * as tf from "@tensorflow/tfjs";
import * as backend from "../backend";
import { Rng } from "../util/random";
import type { Matrix } from "../util/matrix";

const OVERSAMPLE = 10;
const POWER_ITERATIONS = 12;

/** Projections of the centred points on their first `components` principal axes (n x components). */
export async function pcaProject(p: Matrix, components: number, seed = 0): Promise<Float64Array> {
  const { rows: n, cols: dims } = p;
  await backend.ensure();
  const { cov, centred } = tf.tidy(() => {
    const X = tf.tensor2d(p.values, [n, dims]);
    const Xc = tf.sub(X, tf.mean(X, 0, true));
    return { cov: tf.matMul(Xc, Xc, true, false), centred: Xc };
  });
  const C = Float64Array.from((await cov.data()) as Float32Array);
  cov.dispose();
  const V = leadingEigenvectors(C, dims, components, seed);
  const proj = tf.tidy(() => tf.matMul(centred, tf.tensor2d(Float32Array.from(V), [dims, components])));
  centred.dispose();
  const out = Float64Array.from((await proj.data()) as Float32Array);
  proj.dispose();
  return out;
}

/** The `c` eigenvectors of the symmetric d x d matrix C with the largest eigenvalues, as d x c (row-major). */
export function leadingEigenvectors(C: Float64Array, d: number, c: number, seed = 0): Float64Array {
  const b = Math.min(d, c + OVERSAMPLE);
  const rng = new Rng(seed);
  let Q: Float64Array = new Float64Array(d * b);
  for (let i = 0; i < Q.length; i++) Q[i] = rng.normal();
  orthonormalise(Q, d, b);
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    Q = multiply(C, Q, d, d, b);
    orthonormalise(Q, d, b);
  }
  // Rayleigh-Ritz: T = Qᵀ C Q is b x b; its eigenvectors rotate Q onto the eigenvectors of C.
  const CQ = multiply(C, Q, d, d, b);
  const T = new Float64Array(b * b);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      let s = 0;
      for (let r = 0; r < d; r++) s += Q[r * b + i] * CQ[r * b + j];
      T[i * b + j] = s;
    }
  const { values, vectors } = jacobiEigen(T, b);
  const order = Array.from(values.keys())
    .sort((x, y) => values[y] - values[x])
    .slice(0, c);
  const out = new Float64Array(d * c);
  for (let r = 0; r < d; r++) {
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let m = 0; m < b; m++) s += Q[r * b + m] * vectors[m * b + order[k]];
      out[r * c + k] = s;
    }
  }
  return out;
}

/** A (r x m) times B (m x c), row-major. */
function multiply(A: Float64Array, B: Float64Array, r: number, m: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < m; k++) {
      const a = A[i * m + k];
      if (a === 0) continue;
      for (let j = 0; j < c; j++) out[i * c + j] += a * B[k * c + j];
    }
  }
  return out;
}

/** Modified Gram-Schmidt on the columns of Q (d x b, row-major), in place. */
function orthonormalise(Q: Float64Array, d: number, b: number): void {
  for (let j = 0; j < b; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let r = 0; r < d; r++) dot += Q[r * b + j] * Q[r * b + k];
      for (let r = 0; r < d; r++) Q[r * b + j] -= dot * Q[r * b + k];
    }
    let norm = 0;
    for (let r = 0; r < d; r++) norm += Q[r * b + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let r = 0; r < d; r++) Q[r * b + j] /= norm;
  }
}

/** Eigenvalues and eigenvectors (columns of `vectors`, row-major m x m) of a symmetric m x m matrix. */
export function jacobiEigen(S: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(S);
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p * m + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * m + q] - A[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1),
          sn = t * cs;
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p],
            akq = A[k * m + q];
          A[k * m + p] = cs * akp - sn * akq;
          A[k * m + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k],
            aqk = A[q * m + k];
          A[p * m + k] = cs * apk - sn * aqk;
          A[q * m + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k * m + p],
            vkq = V[k * m + q];
          V[k * m + p] = cs * vkp - sn * vkq;
          V[k * m + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = A[i * m + i];
  return { values, vectors: V };
}
