import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../../src/util/paths";
import { InputError } from "../../src/util/errors";
import { conditionalProbabilities, jointDense, jointFromNeighbors, SparseP } from "../../src/projection/affinities";
import { forEachDistanceBlock, nearestNeighbors } from "../../src/projection/neighbors";
import { jacobiEigen, pcaProject } from "../../src/projection/pca";
import { toPoints } from "../../src/projection/points";
import { trustworthiness } from "../../src/projection/trustworthiness";
import { runTsne, tsne } from "../../src/projection/tsne";
import { BarnesHut, exactGradient } from "../../src/projection/tsneGradient";
import { umap } from "../../src/projection/umap";

process.env.EHR_MSN_QUIET = "1";

/** scikit-learn 1.9.1's pieces on small fixed data (test/golden/tsne_reference.py). */
const golden = JSON.parse(fs.readFileSync(path.join(packageRoot(), "test", "golden", "tsne_fixture.json"), "utf8"));

const flat = (rows: number[][]) => Float64Array.from(rows.flat());

/** The sparse P as a map "i,j" -> value. */
function entries(
  P: { indptr: ArrayLike<number>; indices: ArrayLike<number>; values: ArrayLike<number> },
  n: number,
): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++)
    for (let e = P.indptr[i]; e < P.indptr[i + 1]; e++) m.set(`${i},${P.indices[e]}`, P.values[e]);
  return m;
}

function densify(P: SparseP): Float64Array {
  const D = new Float64Array(P.n * P.n);
  for (let i = 0; i < P.n; i++)
    for (let e = P.indptr[i]; e < P.indptr[i + 1]; e++) D[i * P.n + P.indices[e]] = P.values[e];
  return D;
}

async function sparseP(X: number[][], perplexity: number): Promise<SparseP> {
  const p = toPoints(X);
  const k = Math.min(p.rows - 1, Math.floor(3 * perplexity + 1));
  const nn = await nearestNeighbors(p, k, { quiet: true });
  return jointFromNeighbors(nn.indices, conditionalProbabilities(nn.dist2, p.rows, k, perplexity), p.rows, k);
}

test("joint probabilities from 31 nearest neighbours equal scikit-learn's _joint_probabilities_nn", async () => {
  const g = golden.nn;
  const P = await sparseP(g.X, g.perplexity);
  const ours = entries(P, P.n);
  const ref = entries({ indptr: g.indptr, indices: g.indices, values: g.values }, P.n);
  assert.equal(ours.size, ref.size);
  let sum = 0;
  for (const [key, v] of ref) {
    const o = ours.get(key);
    assert.ok(o !== undefined, `entry ${key} missing`);
    // Our squared distances come from a float32 matrix product, scikit-learn's from its own float32 path.
    assert.ok(Math.abs(o - v) <= 1e-4 * v + 1e-12, `P[${key}] = ${o}, scikit-learn ${v}`);
    sum += o;
  }
  assert.ok(Math.abs(sum - 1) < 1e-12);
});

test("exact joint probabilities over all pairs equal scikit-learn's _joint_probabilities", async () => {
  const g = golden.exact;
  const p = toPoints(g.X);
  const d2 = new Float64Array(p.rows * p.rows);
  await forEachDistanceBlock(p, (start, _rows, block) => d2.set(block, start * p.rows));
  const P = jointDense(d2, p.rows, g.perplexity);
  let k = 0;
  for (let i = 0; i < p.rows; i++) {
    assert.equal(P[i * p.rows + i], 0);
    for (let j = i + 1; j < p.rows; j++, k++) {
      const v = g.P[k];
      assert.ok(
        Math.abs(P[i * p.rows + j] - v) <= 1e-4 * v + 1e-15,
        `P[${i},${j}] = ${P[i * p.rows + j]}, scikit-learn ${v}`,
      );
      assert.equal(P[i * p.rows + j], P[j * p.rows + i]);
    }
  }
});

test("exact KL divergence and gradient equal scikit-learn's _kl_divergence", () => {
  const g = golden.exact;
  const n = g.X.length;
  const P = new Float64Array(n * n);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++, k++) P[i * n + j] = P[j * n + i] = g.P[k];
  const grad = new Float64Array(2 * n);
  const kl = exactGradient(P, flat(g.Y), n, 1, grad);
  assert.ok(Math.abs(kl - g.kl) < 1e-9 * g.kl, `KL ${kl} vs ${g.kl}`);
  for (let i = 0; i < 2 * n; i++)
    assert.ok(Math.abs(grad[i] - g.grad[i]) < 1e-9, `grad[${i}] ${grad[i]} vs ${g.grad[i]}`);
});

test("Barnes-Hut gradient: exact at theta 0 and within 2% of scikit-learn's at theta 0.5", () => {
  const g = golden.nn;
  const n = g.X.length;
  const P: SparseP = {
    n,
    indptr: Int32Array.from(g.indptr),
    indices: Int32Array.from(g.indices),
    values: Float64Array.from(g.values),
  };
  const bh = new BarnesHut(P);
  const Y = flat(g.Y);
  const grad0 = new Float64Array(2 * n);
  const kl0 = bh.evaluate(Y, 1, 0, grad0);
  // theta = 0 opens every cell: the result must equal the exact gradient of the same P.
  const exact = new Float64Array(2 * n);
  const klExact = exactGradient(densify(P), Y, n, 1, exact);
  assert.ok(Math.abs(kl0 - klExact) < 1e-9, `KL ${kl0} vs exact ${klExact}`);
  for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(grad0[i] - exact[i]) < 1e-9);
  // scikit-learn computes in float32: equal to about 1e-6.
  assert.ok(Math.abs(kl0 - g.klBh0) < 1e-5, `KL ${kl0} vs scikit-learn ${g.klBh0}`);
  for (let i = 0; i < 2 * n; i++)
    assert.ok(Math.abs(grad0[i] - g.gradBh0[i]) < 1e-5, `grad[${i}] ${grad0[i]} vs ${g.gradBh0[i]}`);
  // At theta 0.5 both are approximations of the exact gradient, by different trees.
  const grad = new Float64Array(2 * n);
  const kl = bh.evaluate(Y, 1, 0.5, grad);
  const rel = (a: ArrayLike<number>) => {
    let num = 0,
      den = 0;
    for (let i = 0; i < 2 * n; i++) {
      num += (a[i] - exact[i]) ** 2;
      den += exact[i] ** 2;
    }
    return Math.sqrt(num / den);
  };
  assert.ok(rel(grad) < 0.02, `our error ${rel(grad)}`);
  assert.ok(rel(grad) <= 2 * rel(g.gradBh) + 1e-3, `our error ${rel(grad)}, scikit-learn's ${rel(g.gradBh)}`);
  assert.ok(Math.abs(kl - klExact) < 0.02 * klExact);
});

test("t-SNE (Barnes-Hut) reaches scikit-learn's quality on 600 clustered points, same result on 0 or 2 worker threads", async () => {
  const g = golden.run;
  const opts = { perplexity: g.perplexity, seed: 0, method: "barnes-hut" as const };
  const a = await runTsne(g.X, { ...opts, workers: 0 });
  const b = await runTsne(g.X, { ...opts, workers: 2 });
  assert.equal(a.method, "barnes-hut");
  assert.equal(b.workers, 2);
  assert.deepEqual(Array.from(a.embedding), Array.from(b.embedding));
  assert.equal(a.iterations, 1000);
  const P = await sparseP(g.X, g.perplexity);
  const kl = exactGradient(densify(P), a.embedding, a.n, 1, new Float64Array(2 * a.n));
  const trust = await trustworthiness(g.X, a.embedding, 10);
  // Targets of the issue: KL within 5% of scikit-learn's, trustworthiness at most 0.01 below.
  assert.ok(kl <= 1.05 * g.kl, `KL ${kl}, scikit-learn ${g.kl}`);
  assert.ok(trust >= g.trust10 - 0.01, `trustworthiness ${trust}, scikit-learn ${g.trust10}`);
  // The divergence reported by the run is the Barnes-Hut estimate of the same quantity.
  assert.ok(Math.abs(a.kl - kl) < 0.03 * kl, `reported ${a.kl}, exact ${kl}`);
});

test("exact t-SNE on 50 points matches scikit-learn's exact method", async () => {
  const g = golden.exact;
  const r = await runTsne(g.X, { perplexity: g.perplexity, seed: 0 });
  assert.equal(r.method, "exact");
  assert.ok(r.kl <= 1.05 * g.runKl, `KL ${r.kl}, scikit-learn ${g.runKl}`);
  const trust = await trustworthiness(g.X, r.embedding, 5);
  assert.ok(trust >= g.runTrust5 - 0.01, `trustworthiness ${trust}, scikit-learn ${g.runTrust5}`);
});

test("tsne() returns rows of [x, y]; the seed decides a random start", async () => {
  const X = golden.exact.X as number[][];
  const a = await tsne(X, { perplexity: 5, init: "random", seed: 3, maxIter: 300 });
  const b = await tsne(Float32Array.from(X.flat()), {
    dims: X[0].length,
    perplexity: 5,
    init: "random",
    seed: 3,
    maxIter: 300,
  });
  const c = await tsne(X, { perplexity: 5, init: "random", seed: 4, maxIter: 300 });
  assert.equal(a.length, X.length);
  assert.ok(a.every((r) => r.length === 2 && r.every(Number.isFinite)));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("trustworthiness equals sklearn.manifold.trustworthiness", async () => {
  const g = golden.run;
  const t = await trustworthiness(g.X, g.Y, 10);
  assert.ok(Math.abs(t - g.trust10) < 1e-12, `${t} vs ${g.trust10}`);
});

test("PCA initialisation spans scikit-learn's first two principal axes", async () => {
  const g = golden.run;
  const p = toPoints(g.X);
  const proj = await pcaProject(p, 2);
  const mean = new Float64Array(p.cols);
  for (let i = 0; i < p.rows; i++) for (let j = 0; j < p.cols; j++) mean[j] += p.values[i * p.cols + j] / p.rows;
  for (let c = 0; c < 2; c++) {
    const ref = new Float64Array(p.rows);
    for (let i = 0; i < p.rows; i++)
      for (let j = 0; j < p.cols; j++) ref[i] += (p.values[i * p.cols + j] - mean[j]) * g.pcaAxes[c][j];
    let dot = 0,
      na = 0,
      nb = 0;
    for (let i = 0; i < p.rows; i++) {
      dot += ref[i] * proj[2 * i + c];
      na += ref[i] ** 2;
      nb += proj[2 * i + c] ** 2;
    }
    assert.ok(
      Math.abs(dot) / Math.sqrt(na * nb) > 0.9999,
      `component ${c}: |cos| ${Math.abs(dot) / Math.sqrt(na * nb)}`,
    );
  }
});

test("Jacobi eigen-decomposition of a symmetric matrix", () => {
  // [[2,1,0],[1,2,0],[0,0,5]]: eigenvalues 1, 3, 5.
  const { values, vectors } = jacobiEigen(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3);
  assert.deepEqual([...values].map((v) => Math.round(v * 1e9) / 1e9).sort(), [1, 3, 5]);
  const k = [...values].findIndex((v) => Math.abs(v - 3) < 1e-9);
  assert.ok(
    Math.abs(Math.abs(vectors[0 * 3 + k]) - Math.SQRT1_2) < 1e-9 &&
      Math.abs(vectors[0 * 3 + k] - vectors[1 * 3 + k]) < 1e-9,
  );
});

test("nearest neighbours leave the point itself out and come nearest first", async () => {
  const X = [
    [0, 0],
    [1, 0],
    [3, 0],
    [7, 0],
    [12, 0],
  ];
  const nn = await nearestNeighbors(toPoints(X), 2, { quiet: true });
  assert.deepEqual(Array.from(nn.indices), [1, 2, 0, 2, 1, 0, 2, 4, 3, 2]);
  assert.deepEqual(Array.from(nn.dist2), [1, 9, 1, 4, 4, 9, 16, 25, 25, 81]);
});

test("bad input raises InputError naming the field or row", async () => {
  const X = golden.exact.X as number[][];
  await assert.rejects(
    tsne(X, { perplexity: 50 }),
    (e: unknown) =>
      e instanceof InputError && /perplexity/.test(e.message) && /below the number of points/.test(e.message),
  );
  const bad = X.map((r) => [...r]);
  bad[2][1] = NaN;
  await assert.rejects(
    tsne(bad),
    (e: unknown) => e instanceof InputError && /row 3/.test(e.message) && /NaN/.test(e.message),
  );
  await assert.rejects(tsne(new Float32Array(10)), (e: unknown) => e instanceof InputError && /dims/.test(e.message));
  await assert.rejects(
    tsne(X, { method: "exact", init: [[0, 0]] }),
    (e: unknown) => e instanceof InputError && /init/.test(e.message) && /50 rows/.test(e.message),
  );
});

test("UMAP (umap-js) separates the clusters and is seeded", async () => {
  const g = golden.run;
  const a = await umap(g.X, { seed: 1, nEpochs: 200, quiet: true });
  const b = await umap(g.X, { seed: 1, nEpochs: 200, quiet: true });
  assert.equal(a.length, g.X.length);
  assert.deepEqual(a, b);
  assert.ok((await trustworthiness(g.X, a, 10)) > 0.9);
});

test("points come as rows, a flat array with dims, or a Matrix, and pack to the same Matrix", () => {
  const rows = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const expected = { rows: 2, cols: 3, values: Float32Array.from([1, 2, 3, 4, 5, 6]) };
  assert.deepEqual(toPoints(rows), expected);
  assert.deepEqual(toPoints(Float64Array.from(rows.flat()), 3), expected);
  assert.deepEqual(
    toPoints({ rows: 2, cols: 3, values: Float64Array.from(rows.flat()), names: ["a", "b", "c"] }),
    expected,
  );
  assert.throws(
    () => toPoints({ rows: 2, cols: 3, values: new Float32Array(5) }),
    (e: unknown) => e instanceof InputError && /2 x 3 values/.test(e.message),
  );
  assert.throws(
    () => toPoints({ rows: 2, cols: 3, values: Float32Array.from([1, 2, 3, 4, NaN, 6]) }),
    (e: unknown) => e instanceof InputError && /row 2/.test(e.message) && /NaN/.test(e.message),
  );
});
