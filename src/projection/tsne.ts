/**
 * t-SNE (van der Maaten & Hinton 2008) for embeddings, with scikit-learn's defaults and schedule so
 * that results compare one to one with `sklearn.manifold.TSNE`:
 * perplexity 30, 3·perplexity nearest neighbours (exact, on the TensorFlow.js backend), early
 * exaggeration 12 for the first 250 of 1000 iterations with momentum 0.5 then 0.8, learning rate
 * "auto" = max(n / 12 / 4, 50), delta-bar-delta gains, PCA initialisation scaled to a standard
 * deviation of 1e-4. The gradient is exact for small n and Barnes-Hut (theta 0.5) beyond, spread
 * over worker threads when n is large enough for that to pay.
 */
import * as os from "os";
import { Worker } from "worker_threads";
import { InputError, describeValue } from "../util/errors";
import { checkInt, checkNumber, checkOneOf } from "../util/validate";
import { progress, Progress } from "../util/progress";
import { Rng } from "../util/random";
import { conditionalProbabilities, jointDense, jointFromNeighbors, SparseP } from "./affinities";
import { forEachDistanceBlock, nearestNeighbors } from "./neighbors";
import { pcaProject } from "./pca";
import { PointsInput, toPoints } from "./points";
import { Matrix, matrixToRows } from "../util/matrix";
import { BarnesHut, combineForces, entropyTerm, exactGradient } from "./tsneGradient";
import type { WorkerSetup } from "./tsneWorker";
import { ensure as ensureBackend } from "../backend/init";

export interface TsneOptions {
  /** Length of a flat Float32Array/Float64Array point; not needed for rows. */
  dims?: number;
  /** Effective number of neighbours; default 30. Must be below the number of points. */
  perplexity?: number;
  /** Seed of the random initialisation (and of PCA's start); default 0. */
  seed?: number;
  /** Total iterations, early exaggeration included; default 1000. */
  maxIter?: number;
  /** Factor on P during the first iterations; default 12. */
  earlyExaggeration?: number;
  /** Iterations with early exaggeration; default 250. */
  exaggerationIter?: number;
  /** Step size, or "auto" = max(n / earlyExaggeration / 4, 50) (default). */
  learningRate?: number | "auto";
  /** Barnes-Hut opening angle; default 0.5 (0 gives the exact repulsion, slowly). */
  theta?: number;
  /** `exact` (O(n²) per iteration, n <= 5000), `barnes-hut`, or `auto` (default): exact up to 1000 points. */
  method?: "auto" | "exact" | "barnes-hut";
  /** `pca` (default), `random` (N(0, 1e-4²)), or explicit starting coordinates (n rows of [x, y]). */
  init?: "pca" | "random" | readonly (readonly number[])[];
  /** Worker threads for the gradient; default: the available cores when n >= 4000, else none. */
  workers?: number;
  /** Stop when the gradient norm falls below this (checked every 50 iterations); default 1e-7. */
  minGradNorm?: number;
  /** Draw no progress; default: the EHR_MSN_QUIET environment variable. */
  quiet?: boolean;
}

export interface TsneResult {
  /** n x 2, row-major. */
  embedding: Float64Array;
  n: number;
  /** KL(P || Q) at the end (Z from the same Barnes-Hut pass as the last gradient, or exact). */
  kl: number;
  iterations: number;
  method: "exact" | "barnes-hut";
  workers: number;
  /** Milliseconds spent on neighbours, affinities, initialisation and optimisation. */
  timings: { neighborsMs: number; affinitiesMs: number; initMs: number; optimizeMs: number };
}

const EXACT_MAX = 5000;
const AUTO_EXACT_UP_TO = 1000;
const CHECK_EVERY = 50;
const MIN_GAIN = 0.01;
const YIELD_MS = 100;

/**
 * Two-dimensional t-SNE embedding of `points`; returns rows of [x, y]. Seeded: the same input,
 * options and seed give the same output, whatever the number of worker threads.
 */
export async function tsne(points: PointsInput, opts: TsneOptions = {}): Promise<number[][]> {
  const r = await runTsne(points, opts);
  return matrixToRows({ rows: r.n, cols: 2, values: r.embedding });
}

/** `tsne` with the details: the flat embedding, the final KL divergence, timings. */
export async function runTsne(points: PointsInput, opts: TsneOptions = {}): Promise<TsneResult> {
  await ensureBackend();
  const p = toPoints(points, opts.dims);
  const o = resolveOptions(opts, p.rows);
  const t0 = Date.now();
  let neighborsMs: number;
  let affinitiesMs: number;
  let P: SparseP | Float64Array;
  if (o.method === "exact") {
    const d2 = new Float64Array(p.rows * p.rows);
    await forEachDistanceBlock(p, (start, _rows, block) => d2.set(block, start * p.rows));
    neighborsMs = Date.now() - t0;
    P = jointDense(d2, p.rows, o.perplexity);
    affinitiesMs = Date.now() - t0 - neighborsMs;
  } else {
    const k = Math.min(p.rows - 1, Math.floor(3 * o.perplexity + 1));
    const nn = await nearestNeighbors(p, k, { quiet: o.quiet, label: "t-SNE neighbours" });
    neighborsMs = Date.now() - t0;
    P = jointFromNeighbors(nn.indices, conditionalProbabilities(nn.dist2, p.rows, k, o.perplexity), p.rows, k);
    affinitiesMs = Date.now() - t0 - neighborsMs;
  }
  const t1 = Date.now();
  const Y = await initialEmbedding(p, o);
  const initMs = Date.now() - t1;
  const t2 = Date.now();
  const workers = o.method === "exact" ? 0 : o.workers;
  const gradient =
    P instanceof Float64Array
      ? exactObjective(P, p.rows)
      : workers > 0
        ? await threadedObjective(P, workers)
        : inlineObjective(P);
  try {
    const bar = progress("t-SNE", o.maxIter, { unit: "iter", quiet: o.quiet });
    const { kl, iterations } = await optimize(Y, p.rows, gradient, o, bar);
    bar.finish({ kl });
    return {
      embedding: Y,
      n: p.rows,
      kl,
      iterations,
      method: o.method,
      workers,
      timings: { neighborsMs, affinitiesMs, initMs, optimizeMs: Date.now() - t2 },
    };
  } finally {
    await gradient.close();
  }
}

interface Resolved {
  perplexity: number;
  seed: number;
  maxIter: number;
  earlyExaggeration: number;
  exaggerationIter: number;
  learningRate: number;
  theta: number;
  method: "exact" | "barnes-hut";
  init: TsneOptions["init"];
  workers: number;
  minGradNorm: number;
  quiet: boolean | undefined;
}

function resolveOptions(opts: TsneOptions, n: number): Resolved {
  if (n < 2) throw new InputError({ field: "points", expected: "at least 2 points", found: `${n}` });
  const perplexity = checkNumber(opts.perplexity ?? 30, "perplexity", { min: 0, minExclusive: true });
  if (perplexity >= n)
    throw new InputError({
      field: "perplexity",
      expected: `a number in (0, ${n}) (below the number of points)`,
      found: `${perplexity}`,
    });
  const earlyExaggeration = checkNumber(opts.earlyExaggeration ?? 12, "earlyExaggeration", { min: 1 });
  const maxIter = checkInt(opts.maxIter ?? 1000, "maxIter", { min: 1 });
  const exaggerationIter = checkInt(opts.exaggerationIter ?? Math.min(250, maxIter), "exaggerationIter", {
    min: 0,
    max: maxIter,
  });
  const lr = opts.learningRate ?? "auto";
  const learningRate =
    lr === "auto"
      ? Math.max(n / earlyExaggeration / 4, 50)
      : checkNumber(lr, "learningRate", { min: 0, minExclusive: true });
  const theta = checkNumber(opts.theta ?? 0.5, "theta", { min: 0, max: 1 });
  const method = checkOneOf(opts.method ?? "auto", "method", ["auto", "exact", "barnes-hut"] as const);
  if (method === "exact" && n > EXACT_MAX) {
    throw new InputError({
      field: "method",
      expected: `at most ${EXACT_MAX} points for the exact method`,
      found: `${n} points`,
      hint: 'Use method "barnes-hut".',
    });
  }
  const resolvedMethod = method === "auto" ? (n <= AUTO_EXACT_UP_TO ? "exact" : "barnes-hut") : method;
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const workers = checkInt(opts.workers ?? (n >= 4000 ? Math.min(cores, 8) : 0), "workers", { min: 0, max: 64 });
  const init = opts.init ?? "pca";
  if (typeof init === "string" ? !["pca", "random"].includes(init) : !Array.isArray(init)) {
    throw new InputError({
      field: "init",
      expected: '"pca", "random" or n rows of [x, y]',
      found: describeValue(init),
    });
  }
  // Checked before the neighbour search, which can take a minute.
  if (Array.isArray(init) && init.length !== n)
    throw new InputError({ field: "init", expected: `${n} rows (one per point)`, found: `${init.length}` });
  return {
    perplexity,
    seed: opts.seed ?? 0,
    maxIter,
    earlyExaggeration,
    exaggerationIter,
    learningRate,
    theta,
    method: resolvedMethod,
    init,
    workers,
    minGradNorm: opts.minGradNorm ?? 1e-7,
    quiet: opts.quiet,
  };
}

/** PCA (first axis scaled to sd 1e-4, as scikit-learn), seeded N(0, 1e-4²), or the given rows. */
async function initialEmbedding(p: Matrix, o: Resolved): Promise<Float64Array> {
  const n = p.rows;
  if (Array.isArray(o.init)) {
    const rows = o.init as number[][];
    toPoints(rows, 2, "init"); // checks: finite numbers, two per row
    return Float64Array.from(rows.flatMap((r) => [r[0], r[1]]));
  }
  if (o.init === "pca" && p.cols >= 2) {
    const Y = await pcaProject(p, 2, o.seed);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += Y[2 * i] / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (Y[2 * i] - mean) ** 2 / n;
    const sd = Math.sqrt(v);
    if (sd > 0) {
      for (let i = 0; i < 2 * n; i++) Y[i] = (Y[i] / sd) * 1e-4;
      return Y;
    }
  }
  const rng = new Rng(o.seed);
  const Y = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) Y[i] = 1e-4 * rng.normal();
  return Y;
}

/** Computes the gradient for an embedding; returns the KL divergence of the un-exaggerated P when `withKl`, else NaN. */
interface Objective {
  evaluate(Y: Float64Array, exaggeration: number, theta: number, grad: Float64Array, withKl: boolean): Promise<number>;
  close(): Promise<void>;
}

function exactObjective(P: Float64Array, n: number): Objective {
  return {
    evaluate: async (Y, exaggeration, _theta, grad, withKl) => exactGradient(P, Y, n, exaggeration, grad, withKl),
    close: async () => {},
  };
}

function inlineObjective(P: SparseP): Objective {
  const bh = new BarnesHut(P);
  return {
    evaluate: async (Y, exaggeration, theta, grad, withKl) => bh.evaluate(Y, exaggeration, theta, grad, withKl),
    close: async () => {},
  };
}

/** The same objective on `count` worker threads sharing Y, P and the force buffers. */
async function threadedObjective(P: SparseP, count: number): Promise<Objective> {
  const n = P.n;
  const shared = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
  const buf = { y: shared(16 * n), rep: shared(16 * n), attr: shared(16 * n), z: shared(8 * n), logW: shared(8 * n) };
  const share = <T extends Int32Array | Float64Array>(a: T, make: (b: SharedArrayBuffer) => T): SharedArrayBuffer => {
    const b = shared(a.byteLength);
    make(b).set(a);
    return b;
  };
  const indptr = share(P.indptr, (b) => new Int32Array(b));
  const indices = share(P.indices, (b) => new Int32Array(b));
  const values = share(P.values, (b) => new Float64Array(b));
  const Y = new Float64Array(buf.y);
  const views = {
    attr: new Float64Array(buf.attr),
    rep: new Float64Array(buf.rep),
    z: new Float64Array(buf.z),
    logW: new Float64Array(buf.logW),
  };
  // Rows of P split by stored entries so that every worker gets a similar share of the work.
  const rowCuts = [0];
  for (let w = 1; w < count; w++) {
    const target = (P.indptr[n] * w) / count;
    let r = rowCuts[w - 1];
    while (r < n && P.indptr[r] < target) r++;
    rowCuts.push(r);
  }
  rowCuts.push(n);
  const workers: Worker[] = [];
  for (let w = 0; w < count; w++) {
    const setup: WorkerSetup = {
      n,
      ...buf,
      indptr,
      indices,
      values,
      treeFrom: Math.floor((n * w) / count),
      treeTo: Math.floor((n * (w + 1)) / count),
      rowFrom: rowCuts[w],
      rowTo: rowCuts[w + 1],
    };
    workers.push(new Worker(require.resolve("./tsneWorker"), { workerData: setup }));
  }
  const pLogP = entropyTerm(P);
  const step = (worker: Worker, message: { theta: number; withKl: boolean }) =>
    new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      worker.once("error", onError);
      worker.once("message", () => {
        worker.off("error", onError);
        resolve();
      });
      worker.postMessage(message);
    });
  return {
    evaluate: async (Ycur, exaggeration, theta, grad, withKl) => {
      Y.set(Ycur);
      await Promise.all(workers.map((w) => step(w, { theta, withKl })));
      return combineForces(n, views, pLogP, exaggeration, grad, withKl);
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * Gradient descent with momentum and per-coordinate gains, in two phases like scikit-learn's
 * `_gradient_descent` (each phase starts with zero update and unit gains).
 */
async function optimize(
  Y: Float64Array,
  n: number,
  objective: Objective,
  o: Resolved,
  bar: Progress,
): Promise<{ kl: number; iterations: number }> {
  const grad = new Float64Array(2 * n);
  const update = new Float64Array(2 * n);
  const gains = new Float64Array(2 * n);
  let kl = NaN;
  let it = 0;
  const phases = [
    { end: o.exaggerationIter, momentum: 0.5, exaggeration: o.earlyExaggeration },
    { end: o.maxIter, momentum: 0.8, exaggeration: 1 },
  ];
  let lastYield = Date.now();
  for (const phase of phases) {
    update.fill(0);
    gains.fill(1);
    for (; it < phase.end; it++) {
      const check = (it + 1) % CHECK_EVERY === 0 || it + 1 === o.maxIter;
      const value = await objective.evaluate(Y, phase.exaggeration, o.theta, grad, check);
      if (check) kl = value;
      let norm2 = 0;
      for (let i = 0; i < 2 * n; i++) {
        const g = grad[i];
        norm2 += g * g;
        gains[i] = update[i] * g < 0 ? gains[i] + 0.2 : Math.max(gains[i] * 0.8, MIN_GAIN);
        update[i] = phase.momentum * update[i] - o.learningRate * gains[i] * g;
        Y[i] += update[i];
      }
      bar.set(it + 1, Number.isNaN(kl) ? undefined : { kl });
      if (Date.now() - lastYield > YIELD_MS) {
        // Lets the event loop run, so that a notebook's progress display is sent while we work.
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
      if (check && Math.sqrt(norm2) < o.minGradNorm) return { kl, iterations: it + 1 };
    }
  }
  return { kl, iterations: it };
}
