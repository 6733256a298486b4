/**
 * Embedding, the linear probe, fine-tuning and t-SNE's neighbour search on webgpu (SwiftShader when no
 * GPU is there) give what they give on the cpu backend, run in the same process on the same inputs.
 * Tolerances (test/backend/evalParity.ts): float32 sums in another order; the measured differences
 * are printed (on SwiftShader about 1e-7 to 1e-6).
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { finetune } from "../../src/eval/finetune";
import { protocolChoice } from "../../src/eval/probe";
import { forEachDistanceBlock, nearestNeighbors } from "../../src/projection/neighbors";
import { pcaProject } from "../../src/projection/pca";
import { Rng } from "../../src/util/random";
import { brightHalves } from "../eval/support";
import {
  cpuThenWebgpu,
  embeddingParity,
  maxAbs,
  maxAbsDiff,
  probeParity,
  TINY_VIEW,
  tinyVit,
  TOLERANCE,
} from "./evalParity";
import { forceWebgpu, webgpuSkipReason } from "./webgpuSupport";

const skip = webgpuSkipReason();
if (skip) console.log(`webgpu evaluation tests skipped: ${skip}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-webgpu-eval-"));

before(async () => {
  if (skip) return;
  forceWebgpu();
  assert.equal((await backend.init({ quiet: true })).name, "webgpu");
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test(
  "webgpu: a trained ViT's embeddings equal the cpu backend's (1e-5 of their scale) and are kept on disk",
  { skip },
  async () => {
    const r = await embeddingParity(tmp);
    console.log(`  embeddings: max |webgpu - cpu| ${r.diff.toExponential(1)} at scale ${r.scale.toFixed(2)}`);
    assert.deepEqual([r.rows, r.dims], [21, 16]);
    assert.deepEqual(r.leaked, { cpu: 0, webgpu: 0 }, "no tensor left behind");
    assert.deepEqual(r.reused, { cpu: true, webgpu: true }, "the second call reads the file the first wrote");
    assert.ok(r.scale > 0.1, "the embeddings are not all near zero");
    assert.ok(r.diff <= TOLERANCE.embeddings * r.scale, `max difference ${r.diff}`);
  },
);

test(
  "webgpu: a linear probe (embed, train, choose, test) gives the cpu backend's head and AUROC",
  { skip },
  async () => {
    const r = await probeParity(tmp);
    const aurocs = [r.webgpu.macro.auroc.estimate, r.cpu.macro.auroc.estimate];
    console.log(
      `  epoch losses within ${r.lossDiff.toExponential(1)} (relative), head weights ${r.weightDiff.toExponential(1)}, ` +
        `test scores ${r.scoreDiff.toExponential(1)}; macro AUROC webgpu ${aurocs[0].toFixed(4)}, cpu ${aurocs[1].toFixed(4)}`,
    );
    assert.deepEqual(r.leaked, { cpu: 0, webgpu: 0 }, "no tensor left behind");
    assert.ok(r.applyHeadExact, "applyHead with the returned head gives the test scores");
    const [gpu, cpu] = [protocolChoice(r.webgpu.chosen), protocolChoice(r.cpu.chosen)];
    assert.deepEqual([gpu.run, gpu.epoch], [cpu.run, cpu.epoch]);
    assert.ok(r.lossDiff <= TOLERANCE.probeLoss, `epoch losses differ by ${r.lossDiff} (relative)`);
    assert.ok(r.weightDiff <= TOLERANCE.probeWeights, `head weights differ by ${r.weightDiff}`);
    assert.ok(r.scoreDiff <= TOLERANCE.probeScores, `test scores differ by ${r.scoreDiff}`);
    assert.ok(Math.abs(aurocs[0] - aurocs[1]) <= TOLERANCE.auroc, `macro AUROC ${aurocs}`);
    assert.ok(aurocs[1] > 0.6, "the probe learnt something (else equal AUROCs would say little)");
  },
);

test(
  "webgpu: fine-tuning the whole ViT gives the cpu backend's epoch losses (1e-4) and test scores",
  { skip },
  async () => {
    const { dataset, cache } = brightHalves(3, tmp);
    const r = await cpuThenWebgpu(async () => {
      const encoder = tinyVit();
      const print = encoder.fingerprint();
      const before = tf.memory().numTensors;
      const out = await finetune({
        encoder,
        cohort: dataset,
        cache,
        fractions: [0.25],
        subsets: 1,
        batchSize: 10,
        maxEpochs: 2,
        n: 50,
        seed: 4,
        quiet: true,
        runs: [{ lr: 1e-3, scheduler: "cosine", earlyStopping: false }],
        view: TINY_VIEW,
        trainView: { degrees: 10, translate: [0.05, 0.05], scale: [0.95, 1.05] },
      });
      assert.equal(tf.memory().numTensors, before, `${tf.getBackend()}: no tensor left behind`);
      await backend.readVariablesAhead(); // the fingerprint reads the weights synchronously
      assert.equal(encoder.fingerprint(), print, "the encoder given is unchanged");
      encoder.dispose();
      return out.fractions[0].subsets[0];
    });
    const { cpu, webgpu } = r;
    const losses = (s: typeof cpu) => s.runs[0].history.map((h) => h.loss);
    assert.equal(losses(webgpu).length, 2);
    let worst = 0;
    losses(webgpu).forEach((l, i) => (worst = Math.max(worst, Math.abs(l - losses(cpu)[i]) / losses(cpu)[i])));
    const scoreDiff = maxAbsDiff(webgpu.report.test.yScore.values, cpu.report.test.yScore.values);
    console.log(
      `  epoch losses webgpu ${losses(webgpu).map((l) => l.toFixed(6))}, cpu ${losses(cpu).map((l) => l.toFixed(6))}; ` +
        `worst relative difference ${worst.toExponential(1)}; test scores within ${scoreDiff.toExponential(1)}`,
    );
    assert.ok(worst <= 1e-4, `epoch losses differ by ${worst} (relative)`);
    assert.ok(scoreDiff <= 1e-4, `test scores differ by ${scoreDiff}`);
    assert.ok(Math.abs(webgpu.report.macro.auroc.estimate - cpu.report.macro.auroc.estimate) <= TOLERANCE.auroc);
  },
);

test(
  "webgpu: t-SNE's exact nearest neighbours, distance matrix and PCA initialisation equal the cpu backend's",
  { skip },
  async () => {
    // 300 points (not a power of two, as tfjs-webgpu's top-k pads to one) in 12 dimensions, k = 20.
    const rng = new Rng(7);
    const n = 300;
    const k = 20;
    const points = { rows: n, cols: 12, values: Float32Array.from({ length: n * 12 }, () => rng.normal()) };
    const { cpu, webgpu } = await cpuThenWebgpu(async () => {
      const d2 = new Float32Array(n * n);
      await forEachDistanceBlock(points, (start, rows, block) => d2.set(block.subarray(0, rows * n), start * n));
      return { nn: await nearestNeighbors(points, k, { quiet: true }), pca: await pcaProject(points, 2, 1), d2 };
    });
    // The full distance matrix (exact t-SNE, trustworthiness), relative to the largest distance.
    const d2Diff = maxAbsDiff(webgpu.d2, cpu.d2) / maxAbs(cpu.d2);
    let swapped = 0;
    let worst = 0;
    for (let i = 0; i < n * k; i++) {
      const [got, want] = [webgpu.nn.dist2[i], cpu.nn.dist2[i]];
      worst = Math.max(worst, Math.abs(got - want) / want);
      if (webgpu.nn.indices[i] === cpu.nn.indices[i]) continue;
      // Two neighbours at distances equal in float32 may come in either order; nothing else may differ.
      swapped++;
      assert.ok(Math.abs(got - want) <= 1e-5 * want, `point ${Math.floor(i / k)}, neighbour ${i % k}`);
    }
    // Principal axes have no sign: compare each component up to it.
    let pcaDiff = 0;
    for (let c = 0; c < 2; c++) {
      const sign = Math.sign(webgpu.pca[c] * cpu.pca[c]) || 1;
      for (let i = 0; i < n; i++)
        pcaDiff = Math.max(pcaDiff, Math.abs(webgpu.pca[i * 2 + c] - sign * cpu.pca[i * 2 + c]));
    }
    console.log(
      `  neighbours: ${swapped} of ${n * k} in another order (equal distances), squared distances within ` +
        `${worst.toExponential(1)} (relative), the distance matrix within ${d2Diff.toExponential(1)} of its largest; ` +
        `PCA within ${pcaDiff.toExponential(1)} at scale ${maxAbs(cpu.pca).toFixed(2)}`,
    );
    assert.ok(d2Diff <= 1e-5, `distance matrices differ by ${d2Diff} of the largest distance`);
    assert.ok(swapped <= 2, `${swapped} neighbours differ`);
    assert.ok(worst <= 1e-5, `squared distances differ by ${worst} (relative)`);
    assert.ok(pcaDiff <= 1e-4 * maxAbs(cpu.pca), `PCA projections differ by ${pcaDiff}`);
  },
);
