/**
 * A seeded random-forest classifier for small-integer (categorical or binned) features, used to impute
 * missing view and patient position.
 *
 * Hand-written rather than ml-random-forest 2.1.0: its CART (ml-cart 2.1.1) counts the classes at
 * every candidate split with an O(n^2) `indexOf` filter and tries a split at every label change, so
 * 20 trees take 5.2 s on 1,000 rows and 168 s on 5,000 (bench/cohort.ts measures it again), while the
 * imputer fits on 20,000. This one is the textbook algorithm (Breiman 2001, as in scikit-learn's
 * RandomForestClassifier): bootstrap samples, sqrt(F) random features tried at each split, Gini
 * impurity, leaves holding class frequencies, prediction by averaged frequencies. Features are
 * integers in [0, 64); split search is a histogram scan, O(n F) per tree level.
 */
import { Rng } from "../util/random";

export interface ForestOptions {
  trees?: number;
  maxDepth?: number;
  minLeaf?: number;
  seed?: number;
}

type Node = { feature: number; threshold: number; left: Node; right: Node } | { dist: Float64Array };

const MAX_BINS = 64;

export class RandomForest {
  private readonly roots: Node[] = [];
  private classes = 0;

  constructor(private readonly opts: ForestOptions = {}) {}

  /**
   * Fits on `x` (rows of integer features in [0, 64)) and `y` (classes 0..k-1).
   */
  fit(x: readonly (readonly number[])[], y: readonly number[]): this {
    if (x.length !== y.length || x.length === 0)
      throw new RangeError(`fit needs as many rows as labels (>0), got ${x.length} and ${y.length}`);
    const nFeat = x[0].length;
    for (const row of x)
      for (const v of row)
        if (!(Number.isInteger(v) && v >= 0 && v < MAX_BINS))
          throw new RangeError(`features must be integers in [0, ${MAX_BINS}), got ${v}`);
    this.classes = Math.max(...y) + 1;
    const rng = new Rng(this.opts.seed ?? 0);
    const trees = this.opts.trees ?? 50;
    const mtry = Math.max(1, Math.round(Math.sqrt(nFeat)));
    for (let t = 0; t < trees; t++) {
      const treeRng = rng.fork(t);
      const idx = Int32Array.from({ length: x.length }, () => treeRng.int(x.length));
      this.roots.push(this.grow(x, y, idx, 0, nFeat, mtry, treeRng));
    }
    return this;
  }

  /** Class probabilities of each row (averaged over the trees). */
  predictProba(x: readonly (readonly number[])[]): Float64Array[] {
    return x.map((row) => {
      const p = new Float64Array(this.classes);
      for (const root of this.roots) {
        let n = root;
        while (!("dist" in n)) n = row[n.feature] <= n.threshold ? n.left : n.right;
        for (let c = 0; c < this.classes; c++) p[c] += n.dist[c] / this.roots.length;
      }
      return p;
    });
  }

  /** The most probable class of each row (ties: the lower class). */
  predict(x: readonly (readonly number[])[]): number[] {
    return this.predictProba(x).map((p) => {
      let best = 0;
      for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
      return best;
    });
  }

  private grow(
    x: readonly (readonly number[])[],
    y: readonly number[],
    idx: Int32Array,
    depth: number,
    nFeat: number,
    mtry: number,
    rng: Rng,
  ): Node {
    const k = this.classes;
    const total = new Float64Array(k);
    for (const i of idx) total[y[i]]++;
    const leaf = (): Node => ({ dist: total.map((c) => c / idx.length) });
    if (
      depth >= (this.opts.maxDepth ?? 12) ||
      idx.length < 2 * (this.opts.minLeaf ?? 5) ||
      total.some((c) => c === idx.length)
    )
      return leaf();
    const parentGini = gini(total, idx.length);
    let best = { gain: 1e-12, feature: -1, threshold: 0 };
    const features = rng.permutation(nFeat).subarray(0, mtry);
    const hist = new Float64Array(MAX_BINS * k);
    for (const f of features) {
      hist.fill(0);
      let maxBin = 0;
      for (const i of idx) {
        const b = x[i][f];
        hist[b * k + y[i]]++;
        if (b > maxBin) maxBin = b;
      }
      const left = new Float64Array(k);
      let nLeft = 0;
      for (let b = 0; b < maxBin; b++) {
        for (let c = 0; c < k; c++) {
          left[c] += hist[b * k + c];
          nLeft += hist[b * k + c];
        }
        const nRight = idx.length - nLeft;
        if (nLeft < (this.opts.minLeaf ?? 5) || nRight < (this.opts.minLeaf ?? 5)) continue;
        const right = total.map((v, c) => v - left[c]);
        const gain =
          parentGini - (nLeft / idx.length) * gini(left, nLeft) - (nRight / idx.length) * gini(right, nRight);
        if (gain > best.gain) best = { gain, feature: f, threshold: b };
      }
    }
    if (best.feature < 0) return leaf();
    const l: number[] = [];
    const r: number[] = [];
    for (const i of idx) (x[i][best.feature] <= best.threshold ? l : r).push(i);
    return {
      feature: best.feature,
      threshold: best.threshold,
      left: this.grow(x, y, Int32Array.from(l), depth + 1, nFeat, mtry, rng),
      right: this.grow(x, y, Int32Array.from(r), depth + 1, nFeat, mtry, rng),
    };
  }
}

function gini(counts: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let c = 0; c < counts.length; c++) s += (counts[c] / n) ** 2;
  return 1 - s;
}
