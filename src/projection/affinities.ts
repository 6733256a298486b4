/**
 * t-SNE input affinities: a Gaussian per point whose width gives the wanted perplexity, then the
 * symmetric joint probabilities P = (P_j|i + P_i|j) / sum. Follows scikit-learn's
 * `_binary_search_perplexity` and `_joint_probabilities(_nn)` step for step (same tolerance, same
 * number of steps, natural logarithms), so that the two give the same P.
 */

/** Symmetric sparse joint probabilities in CSR form; the values sum to 1. */
export interface SparseP {
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

const PERPLEXITY_TOLERANCE = 1e-5;
const STEPS = 100;
const EPSILON_DBL = 1e-8;
/** numpy's float64 machine epsilon, the floor scikit-learn puts under P and Q. */
export const MACHINE_EPSILON = 2.220446049250313e-16;

/**
 * Conditional probabilities P_j|i for each row of `dist2` (n rows of `k` squared distances), with
 * beta = 1/(2 sigma²) found by bisection so that exp(entropy) equals `perplexity`. When `selfColumn`
 * is true, row i's column i is the point itself and gets probability 0 (the exact method).
 */
export function conditionalProbabilities(
  dist2: ArrayLike<number>,
  n: number,
  k: number,
  perplexity: number,
  selfColumn = false,
): Float64Array {
  const P = new Float64Array(n * k);
  const desired = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let beta = 1;
    let betaMin = -Infinity;
    let betaMax = Infinity;
    for (let step = 0; step < STEPS; step++) {
      let sumP = 0;
      for (let j = 0; j < k; j++) {
        const p = selfColumn && j === i ? 0 : Math.exp(-dist2[o + j] * beta);
        P[o + j] = p;
        sumP += p;
      }
      if (sumP === 0) sumP = EPSILON_DBL;
      let sumDP = 0;
      for (let j = 0; j < k; j++) {
        P[o + j] /= sumP;
        sumDP += dist2[o + j] * P[o + j];
      }
      const entropy = Math.log(sumP) + beta * sumDP;
      const diff = entropy - desired;
      if (Math.abs(diff) <= PERPLEXITY_TOLERANCE) break;
      if (diff > 0) {
        betaMin = beta;
        beta = betaMax === Infinity ? beta * 2 : (beta + betaMax) / 2;
      } else {
        betaMax = beta;
        beta = betaMin === -Infinity ? beta / 2 : (beta + betaMin) / 2;
      }
    }
  }
  return P;
}

/**
 * Joint probabilities from the k nearest neighbours: P = (C + Cᵀ) / sum(C + Cᵀ), where C holds the
 * conditional probabilities at (i, indices[i*k + c]). Within a row, entries come in no set order.
 */
export function jointFromNeighbors(indices: Int32Array, conditional: Float64Array, n: number, k: number): SparseP {
  // Row i of C + Cᵀ: i's own k neighbours, then every j that lists i. Bucket the transposed entries.
  const tCount = new Int32Array(n + 1);
  for (let e = 0; e < n * k; e++) tCount[indices[e] + 1]++;
  for (let i = 0; i < n; i++) tCount[i + 1] += tCount[i];
  const tFrom = new Int32Array(n * k);
  const fill = tCount.slice(0, n);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) tFrom[fill[indices[i * k + c]]++] = i * k + c;
  // Merge duplicates (j lists i and i lists j) with a per-row marker: O(nnz), no sorting.
  const indptr = new Int32Array(n + 1);
  const cols = new Int32Array(2 * n * k);
  const vals = new Float64Array(2 * n * k);
  const mark = new Int32Array(n).fill(-1);
  const slot = new Int32Array(n);
  let nnz = 0;
  let total = 0;
  const add = (i: number, j: number, p: number) => {
    total += p;
    if (mark[j] === i) {
      vals[slot[j]] += p;
      return;
    }
    mark[j] = i;
    slot[j] = nnz;
    cols[nnz] = j;
    vals[nnz++] = p;
  };
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) add(i, indices[i * k + c], conditional[i * k + c]);
    for (let t = tCount[i]; t < tCount[i + 1]; t++) {
      const e = tFrom[t];
      add(i, Math.floor(e / k), conditional[e]);
    }
    indptr[i + 1] = nnz;
  }
  const scale = 1 / Math.max(total, MACHINE_EPSILON);
  const values = vals.slice(0, nnz);
  for (let e = 0; e < nnz; e++) values[e] *= scale;
  return { n, indptr, indices: cols.slice(0, nnz), values };
}

/**
 * Dense joint probabilities from all pairwise squared distances (n x n, row-major): the exact
 * method. The diagonal is 0, every other entry at least MACHINE_EPSILON, as in scikit-learn.
 */
export function jointDense(dist2: ArrayLike<number>, n: number, perplexity: number): Float64Array {
  const C = conditionalProbabilities(dist2, n, n, perplexity, true);
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) total += C[i * n + j] + C[j * n + i];
  const scale = 1 / Math.max(total, MACHINE_EPSILON);
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) P[i * n + j] = Math.max((C[i * n + j] + C[j * n + i]) * scale, MACHINE_EPSILON);
    }
  }
  return P;
}
