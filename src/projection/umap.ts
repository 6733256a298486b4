/**
 * UMAP (umap-js) as an alternative projection. The k nearest neighbours come from the same exact
 * blocked search as t-SNE's (TensorFlow.js), which is faster at these sizes than umap-js's own
 * NN-descent and makes the result depend on the seed only through the layout.
 */
import { UMAP } from "umap-js";
import { InputError } from "../util/errors";
import { checkInt } from "../util/validate";
import { progress } from "../util/progress";
import { Rng } from "../util/random";
import { nearestNeighbors } from "./neighbors";
import { PointsInput, toPoints } from "./points";
import { matrixRow } from "../util/matrix";

export interface UmapOptions {
  /** Length of a flat Float32Array/Float64Array point; not needed for rows. */
  dims?: number;
  /** Neighbours per point (the point itself included, as umap-js counts); default 15. */
  nNeighbors?: number;
  /** Least distance between embedded points; default 0.1. */
  minDist?: number;
  /** Optimisation epochs; default chosen by umap-js (500 below 10,000 points, else 200). */
  nEpochs?: number;
  seed?: number;
  quiet?: boolean;
}

/** Two-dimensional UMAP embedding of `points`; returns rows of [x, y]. Seeded. */
export async function umap(points: PointsInput, opts: UmapOptions = {}): Promise<number[][]> {
  const p = toPoints(points, opts.dims);
  const nNeighbors = checkInt(opts.nNeighbors ?? 15, "nNeighbors", { min: 2, max: Math.max(2, p.rows - 1) });
  if (nNeighbors >= p.rows)
    throw new InputError({ field: "nNeighbors", expected: "fewer neighbours than points", found: `${p.rows} points` });
  const nn = await nearestNeighbors(p, nNeighbors - 1, { quiet: opts.quiet, label: "UMAP neighbours" });
  const knnIndices: number[][] = [];
  const knnDistances: number[][] = [];
  for (let i = 0; i < p.rows; i++) {
    const idx = [i],
      dist = [0];
    for (let c = 0; c < nn.k; c++) {
      idx.push(nn.indices[i * nn.k + c]);
      dist.push(Math.sqrt(nn.dist2[i * nn.k + c]));
    }
    knnIndices.push(idx);
    knnDistances.push(dist);
  }
  const rng = new Rng(opts.seed ?? 0);
  const model = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist: opts.minDist ?? 0.1,
    nEpochs: opts.nEpochs,
    random: () => rng.uniform(),
  });
  model.setPrecomputedKNN(knnIndices, knnDistances);
  const rows: number[][] = [];
  for (let i = 0; i < p.rows; i++) rows.push(Array.from(matrixRow(p, i)));
  const epochs = model.initializeFit(rows);
  const bar = progress("UMAP", epochs, { unit: "epoch", quiet: opts.quiet });
  for (let e = 0; e < epochs; e++) {
    model.step();
    bar.set(e + 1);
    // Lets the event loop run now and then (notebook progress is sent from it).
    if (e % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
  }
  bar.finish();
  return model.getEmbedding().map((r) => [r[0], r[1]]);
}
