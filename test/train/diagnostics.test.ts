/** The per-epoch MSN diagnostics: closed-form cases of each figure, and the loop handing them to onEpochEnd. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as backend from "../../src/backend";
import { assignmentStats, effectiveRank } from "../../src/train/diagnostics";
import { pretrainOnSource } from "../../src/train/pretrain";
import { syntheticSource, TINY } from "./support";

before(async () => {
  await backend.init({ quiet: true });
});

test("assignment statistics: uniform rows use every prototype evenly; one-hot rows count their distinct winners", () => {
  const k = 8;
  const uniform = new Float32Array(4 * k).fill(1 / k);
  const u = assignmentStats(uniform, 4, k);
  assert.ok(Math.abs(u.meanAssignmentEntropy - Math.log(k)) < 1e-6);
  assert.ok(Math.abs(u.sampleEntropy - Math.log(k)) < 1e-6);
  // Rows 0 and 1 on prototype 2, rows 2 and 3 on prototype 5: two prototypes, each sure of itself.
  const hot = new Float32Array(4 * k);
  [2, 2, 5, 5].forEach((j, i) => (hot[i * k + j] = 1));
  const h = assignmentStats(hot, 4, k);
  assert.equal(h.argmaxPrototypes, 2);
  assert.ok(Math.abs(h.meanAssignmentEntropy - Math.log(2)) < 1e-6);
  assert.equal(h.sampleEntropy, 0);
});

test("effective rank: m orthonormal rows have rank m, m copies of one row rank 1, a zero matrix 0", () => {
  const m = 5;
  const identity = new Float64Array(m * m);
  for (let i = 0; i < m; i++) identity[i * m + i] = 1;
  assert.ok(Math.abs(effectiveRank(identity, m) - m) < 1e-9);
  assert.ok(Math.abs(effectiveRank(new Float64Array(m * m).fill(2), m) - 1) < 1e-9);
  assert.equal(effectiveRank(new Float64Array(m * m), m), 0);
  // Singular values 2 and 1 (Gram eigenvalues 4 and 1): exp(H(2/3, 1/3)).
  const twoOne = Float64Array.from([4, 0, 0, 1]);
  const expected = Math.exp(-((2 / 3) * Math.log(2 / 3) + (1 / 3) * Math.log(1 / 3)));
  assert.ok(Math.abs(effectiveRank(twoOne, 2) - expected) < 1e-9);
});

test("an MSN run hands each epoch's diagnostics to onEpochEnd, in their ranges", async () => {
  const seen: { epoch: number; diagnostics?: Record<string, number> }[] = [];
  const r = await pretrainOnSource({ ...TINY, epochs: 2 }, syntheticSource(), {
    quiet: true,
    callbacks: { onEpochEnd: (e) => void seen.push(e) },
  });
  r.model.dispose();
  assert.deepEqual(
    seen.map((e) => e.epoch),
    [0, 1],
  );
  const k = TINY.numPrototypes!;
  const b = TINY.batchSize!;
  for (const { diagnostics: d } of seen) {
    assert.ok(d, "diagnostics given");
    assert.ok(d.meanAssignmentEntropy > 0 && d.meanAssignmentEntropy <= Math.log(k) + 1e-6);
    assert.ok(d.sampleEntropy > 0 && d.sampleEntropy <= d.meanAssignmentEntropy + 1e-6); // concavity of entropy
    assert.ok(Number.isInteger(d.argmaxPrototypes) && d.argmaxPrototypes >= 1 && d.argmaxPrototypes <= b);
    assert.ok(d.embeddingStd > 0 && d.embeddingStd < 1);
    assert.ok(d.embeddingRank >= 1 && d.embeddingRank <= b);
  }
});
