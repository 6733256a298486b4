import { test } from "node:test";
import * as assert from "node:assert/strict";
import { evalReport } from "../../src/eval/evalReport";
import { compare } from "../../src/eval/compare";
import { auroc } from "../../src/eval/metrics";
import { InputError } from "../../src/util/errors";
import { IGNORE_LABEL } from "../../src/util/labels";

// Six test images, three labels, row-major; label "B" has one row ignored.
const names = ["A", "B", "C"];
const yTrue = Float32Array.from([1, 0, 1, 0, 1, 0, 1, IGNORE_LABEL, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1]);
const scores = Float32Array.from([
  0.9, 0.2, 0.6, 0.3, 0.8, 0.1, 0.7, 0.5, 0.4, 0.2, 0.1, 0.9, 0.6, 0.7, 0.3, 0.1, 0.3, 0.8,
]);

test("result.label(name): one label's intervals and its column of the test labels and scores", () => {
  const r = evalReport({ rows: 6, cols: 3, names, values: yTrue }, scores, { n: 50, seed: 1, quiet: true });
  const b = r.label("B");
  // Column 1 of the row-major matrices, worked out by hand.
  assert.deepEqual(b.yTrue, [0, 1, IGNORE_LABEL, 0, 1, 0]);
  assert.deepEqual(
    b.yScore.map((v) => Number(v.toFixed(6))),
    [0.2, 0.8, 0.5, 0.1, 0.7, 0.3],
  );
  assert.equal(b.name, "B");
  // The ignored row is left out of the counts; the interval is the per-label one of the bootstrap.
  assert.deepEqual([b.positives, b.negatives], [2, 3]);
  assert.deepEqual(b.auroc, r.perLabel[1].auroc);
  assert.equal(b.auroc!.estimate, auroc([0, 1, 0, 1, 0], [0.2, 0.8, 0.1, 0.7, 0.3]));
  assert.deepEqual(r.label("C").yTrue, [1, 0, 0, 1, 0, 1]);
  assert.throws(
    () => r.label("Edema"),
    (e: unknown) => e instanceof InputError && /one of A, B, C/.test(e.message) && /Edema/.test(e.message),
  );
});

test("comparison.label(name): the differences of one label", () => {
  const y = { names, values: yTrue };
  const flipped = Float32Array.from(scores, (v, i) => (i % 3 === 2 ? 1 - v : v));
  const c = compare(
    { yTrue: y, yScore: { names, values: scores } },
    { yTrue: y, yScore: { names, values: flipped } },
    {
      n: 50,
      seed: 1,
      quiet: true,
    },
  );
  assert.equal(c.label("A"), c.perLabel[0]);
  assert.equal(c.label("A").auroc!.diff, 0);
  // Label C's scores reversed: AUROC 1 becomes 0.
  assert.deepEqual([c.label("C").auroc!.a, c.label("C").auroc!.b, c.label("C").auroc!.diff], [1, 0, -1]);
  assert.throws(() => c.label("D"), InputError);
});
