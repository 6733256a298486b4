/**
 * Exact nearest neighbours and pairwise distances by blocked matrix products on the TensorFlow.js
 * backend: ||a-b||² = ||a||² + ||b||² - 2a·b, one block of rows against all points at a time.
 * At 68,000 x 384 this is about 3.5 TFLOP, which TensorFlow's matmul does in tens of seconds on two
 * cores, with no approximation (so t-SNE's affinities equal scikit-learn's).
 */
import * as tf from "@tensorflow/tfjs";
import * as backend from "../backend";
import { progress } from "../util/progress";
import { checkInt } from "../util/validate";
import type { Matrix } from "../util/matrix";

export interface Neighbors {
  /** n x k neighbour indices, nearest first, the point itself left out. */
  indices: Int32Array;
  /** n x k squared euclidean distances, matching `indices`. */
  dist2: Float32Array;
  k: number;
}

export interface NeighborOptions {
  quiet?: boolean;
  /** Progress label; default "neighbours". */
  label?: string;
}

/** Rows per block so that one block of distances stays near 32M floats (128 MB). */
function blockRows(n: number): number {
  return Math.max(16, Math.min(4096, Math.floor((32 << 20) / Math.max(1, n))));
}

/** The k nearest neighbours of every point (exact, ties broken by the backend's top-k). */
export async function nearestNeighbors(p: Matrix, k: number, opts: NeighborOptions = {}): Promise<Neighbors> {
  const { rows: n, cols: dims } = p;
  checkInt(k, "k", { min: 1, max: n - 1 });
  await backend.ensure();
  const indices = new Int32Array(n * k);
  const dist2 = new Float32Array(n * k);
  const X = tf.tensor2d(p.values, [n, dims]);
  const sq = tf.tidy(() => tf.sum(tf.square(X), 1));
  const sqn = (await sq.data()) as Float32Array;
  const bar = progress(opts.label ?? "neighbours", n, { unit: "pts", quiet: opts.quiet });
  const rows = blockRows(n);
  const take = Math.min(n, k + 1);
  try {
    for (let s = 0; s < n; s += rows) {
      const b = Math.min(rows, n - s);
      // 2a·b - ||b||² = ||a||² - ||a-b||²: the largest values are the nearest points.
      const top = tf.tidy(() => {
        const xb = tf.slice(X, [s, 0], [b, dims]);
        const g = tf.sub(tf.matMul(tf.mul(xb, 2), X, false, true), tf.reshape(sq, [1, n]));
        return tf.topk(g, take, true);
      });
      const v = (await top.values.data()) as Float32Array;
      const ix = (await top.indices.data()) as Int32Array;
      top.values.dispose();
      top.indices.dispose();
      for (let r = 0; r < b; r++) {
        const i = s + r;
        let out = i * k;
        const end = out + k;
        for (let c = 0; c < take && out < end; c++) {
          const j = ix[r * take + c];
          if (j === i) continue;
          indices[out] = j;
          dist2[out] = Math.max(0, sqn[i] - v[r * take + c]);
          out++;
        }
      }
      bar.set(s + b);
    }
  } finally {
    X.dispose();
    sq.dispose();
  }
  bar.finish();
  return { indices, dist2, k };
}

/**
 * Calls `visit` with successive blocks of the squared distance matrix (rows `start`..`start+rows-1`
 * against all points, row-major, float32). For exact t-SNE and trustworthiness, where every distance
 * is needed; memory stays at one block.
 */
export async function forEachDistanceBlock(
  p: Matrix,
  visit: (start: number, rows: number, d2: Float32Array) => void,
): Promise<void> {
  const { rows: n, cols: dims } = p;
  await backend.ensure();
  const X = tf.tensor2d(p.values, [n, dims]);
  const sq = tf.tidy(() => tf.sum(tf.square(X), 1));
  const step = blockRows(n);
  try {
    for (let s = 0; s < n; s += step) {
      const b = Math.min(step, n - s);
      const block = tf.tidy(() => {
        const xb = tf.slice(X, [s, 0], [b, dims]);
        const sb = tf.slice(sq, [s], [b]);
        const g = tf.matMul(tf.mul(xb, -2), X, false, true);
        return tf.relu(tf.add(tf.add(g, tf.reshape(sq, [1, n])), tf.reshape(sb, [b, 1])));
      });
      const d2 = (await block.data()) as Float32Array;
      block.dispose();
      // The diagonal is exactly zero, whatever float32 cancellation left there.
      for (let r = 0; r < b; r++) d2[r * n + s + r] = 0;
      visit(s, b, d2);
    }
  } finally {
    X.dispose();
    sq.dispose();
  }
}
