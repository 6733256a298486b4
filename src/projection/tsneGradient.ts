/**
 * The two halves of the t-SNE gradient on a 2-D embedding, as plain loops over typed arrays so that
 * worker threads can run them on shared memory:
 *
 *   dC/dy_i = 4 [ exaggeration * sum_j p_ij w_ij (y_i - y_j)  -  sum_j w_ij² (y_i - y_j) / Z ],
 *   w_ij = 1 / (1 + |y_i - y_j|²),  Z = sum_{i != j} w_ij.
 *
 * The attractive half runs over the sparse P; the repulsive half uses a Barnes-Hut quadtree
 * (a cell far enough away, width < theta * distance, acts as one body at its centre of mass).
 * Written by hand: no maintained JS package offers Barnes-Hut t-SNE, and the benchmark
 * (`npm run bench -- tsne`) shows these loops beat scikit-learn's Cython on the same data.
 */
import { MACHINE_EPSILON, type SparseP } from "./affinities";

/** Points per leaf: opened leaves are summed point by point, which beats deeper trees here. */
const LEAF_SIZE = 8;
/** Below this cell width (relative to the root) coincident points share a leaf instead of splitting forever. */
const MAX_DEPTH = 48;

/**
 * A quadtree over the embedding, stored depth-first in flat arrays. `skip[c]` is the cell after
 * c's subtree, so a traversal is a forward walk: summarise c and jump to skip[c], or open c and go
 * to c + 1. `perm` lists the points in tree order (a Z-order curve), and `px`/`py` hold their
 * coordinates in that order, which keeps neighbouring queries on the same cache lines.
 */
export class QuadTree {
  cells = 0;
  perm: Int32Array;
  px: Float64Array;
  py: Float64Array;
  private cap = 0;
  cx = new Float64Array(0);
  cy = new Float64Array(0);
  count = new Float64Array(0);
  width2 = new Float64Array(0);
  skip = new Int32Array(0);
  lo = new Int32Array(0);
  hi = new Int32Array(0);
  leaf = new Uint8Array(0);

  constructor(readonly n: number) {
    this.perm = new Int32Array(n);
    this.px = new Float64Array(n);
    this.py = new Float64Array(n);
    this.grow(Math.max(16, 2 * Math.ceil(n / LEAF_SIZE) + 64));
  }

  /** Rebuilds the tree for the embedding Y (n x 2, row-major). */
  build(Y: Float64Array): void {
    const { n, perm } = this;
    let minX = Infinity,
      maxX = -Infinity,
      minY = Infinity,
      maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = Y[2 * i],
        y = Y[2 * i + 1];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      perm[i] = i;
    }
    const width = Math.max(maxX - minX, maxY - minY, 1e-12) * (1 + 1e-9);
    this.cells = 0;
    this.split(Y, 0, n, minX, minY, width, 0);
    for (let k = 0; k < n; k++) {
      this.px[k] = Y[2 * perm[k]];
      this.py[k] = Y[2 * perm[k] + 1];
    }
  }

  private split(Y: Float64Array, a: number, b: number, x0: number, y0: number, w: number, depth: number): void {
    if (this.cells >= this.cap) this.grow(this.cap * 2);
    const id = this.cells++;
    const perm = this.perm;
    let sx = 0,
      sy = 0;
    for (let k = a; k < b; k++) {
      const p = perm[k];
      sx += Y[2 * p];
      sy += Y[2 * p + 1];
    }
    this.cx[id] = sx / (b - a);
    this.cy[id] = sy / (b - a);
    this.count[id] = b - a;
    this.width2[id] = w * w;
    this.lo[id] = a;
    this.hi[id] = b;
    if (b - a <= LEAF_SIZE || depth >= MAX_DEPTH) {
      this.leaf[id] = 1;
      this.skip[id] = this.cells;
      return;
    }
    this.leaf[id] = 0;
    const h = w / 2,
      mx = x0 + h,
      my = y0 + h;
    const sxSplit = partition(Y, perm, a, b, 0, mx);
    const s1 = partition(Y, perm, a, sxSplit, 1, my);
    const s2 = partition(Y, perm, sxSplit, b, 1, my);
    if (s1 > a) this.split(Y, a, s1, x0, y0, h, depth + 1);
    if (sxSplit > s1) this.split(Y, s1, sxSplit, x0, my, h, depth + 1);
    if (s2 > sxSplit) this.split(Y, sxSplit, s2, mx, y0, h, depth + 1);
    if (b > s2) this.split(Y, s2, b, mx, my, h, depth + 1);
    this.skip[id] = this.cells;
  }

  private grow(cap: number): void {
    const copy = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (m: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.cx = copy(this.cx, (m) => new Float64Array(m));
    this.cy = copy(this.cy, (m) => new Float64Array(m));
    this.count = copy(this.count, (m) => new Float64Array(m));
    this.width2 = copy(this.width2, (m) => new Float64Array(m));
    this.skip = copy(this.skip, (m) => new Int32Array(m));
    this.lo = copy(this.lo, (m) => new Int32Array(m));
    this.hi = copy(this.hi, (m) => new Int32Array(m));
    this.leaf = copy(this.leaf, (m) => new Uint8Array(m));
    this.cap = cap;
  }
}

/** Moves the points of perm[a..b) with coordinate `axis` below `mid` to the front; returns the split. */
function partition(Y: Float64Array, perm: Int32Array, a: number, b: number, axis: number, mid: number): number {
  let i = a,
    j = b - 1;
  while (i <= j) {
    if (Y[2 * perm[i] + axis] < mid) i++;
    else {
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      j--;
    }
  }
  return i;
}

/**
 * Repulsive forces sum_j w_ij² (y_i - y_j) into `force` (n x 2, by point index) and the per-point
 * sums z_i = sum_{j != i} w_ij into `z`, for the points at tree positions [from, to).
 */
export function repulsion(
  tree: QuadTree,
  theta: number,
  from: number,
  to: number,
  force: Float64Array,
  z: Float64Array,
): void {
  const { cells, cx, cy, count, width2, skip, lo, hi, leaf, px, py, perm } = tree;
  const t2 = theta * theta;
  for (let k = from; k < to; k++) {
    const xi = px[k],
      yi = py[k];
    let fx = 0,
      fy = 0,
      zi = 0;
    let c = 0;
    while (c < cells) {
      const dx = xi - cx[c],
        dy = yi - cy[c];
      const d2 = dx * dx + dy * dy;
      if (width2[c] < t2 * d2) {
        const q = 1 / (1 + d2);
        const m = count[c] * q;
        zi += m;
        fx += m * q * dx;
        fy += m * q * dy;
        c = skip[c];
      } else if (leaf[c]) {
        for (let l = lo[c], e = hi[c]; l < e; l++) {
          if (l === k) continue;
          const ex = xi - px[l],
            ey = yi - py[l];
          const q = 1 / (1 + ex * ex + ey * ey);
          zi += q;
          fx += q * q * ex;
          fy += q * q * ey;
        }
        c = skip[c];
      } else {
        c++;
      }
    }
    const i = perm[k];
    force[2 * i] = fx;
    force[2 * i + 1] = fy;
    z[i] = zi;
  }
}

/**
 * Attractive forces sum_j p_ij w_ij (y_i - y_j) into `force` for rows [from, to) of P and, when
 * `logW` is given, sum_j p_ij log w_ij per row (for the KL divergence; the logarithms cost more
 * than the forces, so they are taken only when the divergence is wanted).
 */
export function attraction(
  P: SparseP,
  Y: Float64Array,
  from: number,
  to: number,
  force: Float64Array,
  logW?: Float64Array,
): void {
  const { indptr, indices, values } = P;
  for (let i = from; i < to; i++) {
    const xi = Y[2 * i],
      yi = Y[2 * i + 1];
    let fx = 0,
      fy = 0;
    for (let e = indptr[i], end = indptr[i + 1]; e < end; e++) {
      const j = indices[e];
      const dx = xi - Y[2 * j],
        dy = yi - Y[2 * j + 1];
      const pw = values[e] / (1 + dx * dx + dy * dy);
      fx += pw * dx;
      fy += pw * dy;
    }
    force[2 * i] = fx;
    force[2 * i + 1] = fy;
  }
  if (!logW) return;
  for (let i = from; i < to; i++) {
    const xi = Y[2 * i],
      yi = Y[2 * i + 1];
    let lw = 0;
    for (let e = indptr[i], end = indptr[i + 1]; e < end; e++) {
      const j = indices[e];
      const dx = xi - Y[2 * j],
        dy = yi - Y[2 * j + 1];
      lw -= values[e] * Math.log(1 + dx * dx + dy * dy);
    }
    logW[i] = lw;
  }
}

/** The force buffers of one evaluation (n x 2 forces, n per-point sums). */
export interface Forces {
  attr: Float64Array;
  rep: Float64Array;
  z: Float64Array;
  logW: Float64Array;
}

/** sum p log p over the stored entries: the constant part of KL(P || Q). */
export function entropyTerm(P: SparseP): number {
  let s = 0;
  for (const v of P.values) if (v > 0) s += v * Math.log(v);
  return s;
}

/**
 * grad = 4 (exaggeration * attractive - repulsive / Z) into `grad`; returns KL(P || Q) when
 * `withKl` (then `f.logW` must be filled), else NaN. Sums run in index order, so the result does
 * not depend on how the work was split between threads.
 */
export function combineForces(
  n: number,
  f: Forces,
  pLogP: number,
  exaggeration: number,
  grad: Float64Array,
  withKl: boolean,
): number {
  let Z = 0;
  for (let i = 0; i < n; i++) Z += f.z[i];
  const invZ = 1 / Z;
  for (let i = 0; i < 2 * n; i++) grad[i] = 4 * (exaggeration * f.attr[i] - f.rep[i] * invZ);
  if (!withKl) return NaN;
  let sumLogW = 0;
  for (let i = 0; i < n; i++) sumLogW += f.logW[i];
  return pLogP - sumLogW + Math.log(Z);
}

/** The Barnes-Hut gradient on one thread, with its buffers kept between calls. */
export class BarnesHut {
  private readonly tree: QuadTree;
  private readonly f: Forces;
  private readonly pLogP: number;

  constructor(readonly P: SparseP) {
    const n = P.n;
    this.tree = new QuadTree(n);
    this.f = {
      attr: new Float64Array(2 * n),
      rep: new Float64Array(2 * n),
      z: new Float64Array(n),
      logW: new Float64Array(n),
    };
    this.pLogP = entropyTerm(P);
  }

  /** Gradient into `grad`; returns KL(P || Q) when `withKl`, else NaN. */
  evaluate(Y: Float64Array, exaggeration: number, theta: number, grad: Float64Array, withKl = true): number {
    const n = this.P.n;
    this.tree.build(Y);
    repulsion(this.tree, theta, 0, n, this.f.rep, this.f.z);
    attraction(this.P, Y, 0, n, this.f.attr, withKl ? this.f.logW : undefined);
    return combineForces(n, this.f, this.pLogP, exaggeration, grad, withKl);
  }
}

/**
 * Exact gradient (into `grad`) and KL divergence for a dense P (n x n), O(n²): the small-n method.
 * The divergence is that of the un-exaggerated P (NaN unless `withKl`).
 */
export function exactGradient(
  P: Float64Array,
  Y: Float64Array,
  n: number,
  exaggeration: number,
  grad: Float64Array,
  withKl = true,
): number {
  let Z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Y[2 * i] - Y[2 * j],
        dy = Y[2 * i + 1] - Y[2 * j + 1];
      Z += 2 / (1 + dx * dx + dy * dy);
    }
  }
  let kl = 0;
  const invZ = 1 / Z;
  for (let i = 0; i < n; i++) {
    let gx = 0,
      gy = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = Y[2 * i] - Y[2 * j],
        dy = Y[2 * i + 1] - Y[2 * j + 1];
      const w = 1 / (1 + dx * dx + dy * dy);
      const p = P[i * n + j];
      const s = (exaggeration * p - w * invZ) * w;
      gx += s * dx;
      gy += s * dy;
      if (withKl && p > 0) kl += p * Math.log(p / Math.max(w * invZ, MACHINE_EPSILON));
    }
    grad[2 * i] = 4 * gx;
    grad[2 * i + 1] = 4 * gy;
  }
  return withKl ? kl : NaN;
}
