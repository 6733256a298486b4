/**
 * How faithful an embedding is to its input space.
 */
import { InputError } from "../util/errors";
import { checkInt } from "../util/validate";
import { forEachDistanceBlock } from "./neighbors";
import { PointsInput, toPoints } from "./points";

/**
 * Trustworthiness (Venna & Kaski), exactly as scikit-learn's `sklearn.manifold.trustworthiness`:
 * 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_i} (r(i, j) - k), where U_i are the k nearest
 * neighbours of i in the embedding that are not among its k nearest in the input, and r(i, j) is
 * j's rank among i's neighbours in the input. 1 means no false neighbours. O(n²) time; input
 * distances on the TensorFlow.js backend, one block of rows at a time.
 */
export async function trustworthiness(
  X: PointsInput,
  embedding: PointsInput,
  k = 5,
  opts: { dims?: number } = {},
): Promise<number> {
  const x = toPoints(X, opts.dims, "X");
  const e = toPoints(
    embedding,
    embedding instanceof Float32Array || embedding instanceof Float64Array ? 2 : undefined,
    "embedding",
  );
  const n = x.rows;
  if (e.rows !== n) throw new InputError({ field: "embedding", expected: `${n} points like X`, found: `${e.rows}` });
  // k < n / 2 keeps the normaliser 2n - 3k - 1 positive.
  checkInt(k, "k", { min: 1, max: Math.ceil(n / 2) - 1 });
  // Embedding neighbours first (exact, by partial selection over each row).
  const nearE = new Int32Array(n * k);
  const d = e.cols;
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += (e.values[i * d + a] - e.values[j * d + a]) ** 2;
      row[j] = j === i ? Infinity : s;
    }
    smallestK(row, k, nearE.subarray(i * k, (i + 1) * k));
  }
  let penalty = 0;
  await forEachDistanceBlock(x, (start, rows, d2) => {
    for (let r = 0; r < rows; r++) {
      const i = start + r;
      const base = r * n;
      for (let c = 0; c < k; c++) {
        const j = nearE[i * k + c];
        const dij = d2[base + j];
        // Rank of j = 1 + points strictly closer to i than j (i itself excluded).
        let rank = 1;
        for (let l = 0; l < n; l++) if (l !== i && d2[base + l] < dij) rank++;
        if (rank > k) penalty += rank - k;
      }
    }
  });
  return 1 - (penalty * 2) / (n * k * (2 * n - 3 * k - 1));
}

/** Indices of the k smallest values of `v` into `out`, nearest first. */
function smallestK(v: Float64Array, k: number, out: Int32Array): void {
  const idx: number[] = [];
  for (let j = 0; j < v.length; j++) {
    if (idx.length < k || v[j] < v[idx[idx.length - 1]]) {
      let p = Math.min(idx.length, k - 1);
      if (idx.length < k) idx.push(j);
      while (p > 0 && v[idx[p - 1]] > v[j]) {
        idx[p] = idx[p - 1];
        p--;
      }
      idx[p] = j;
    }
  }
  out.set(idx);
}
