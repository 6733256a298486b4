import { test } from "node:test";
import * as assert from "node:assert/strict";
import { batchTokenMask, randomTokenMask } from "../../src/model/masking";
import { InputError } from "../../src/util/errors";
import { Rng } from "../../src/util/random";

const rows = (m: { rows: number; keep: number; indices: Int32Array }) =>
  Array.from({ length: m.rows }, (_, r) => [...m.indices.subarray(r * m.keep, (r + 1) * m.keep)]);

test("authors' per-sample mask: 166 of 197 tokens at 224 px, 30 of 37 at 96 px, the last patch never kept", () => {
  for (const [patches, keep] of [
    [196, 166],
    [36, 30],
  ]) {
    const m = randomTokenMask(200, patches, 0.15, new Rng(1), "authors");
    assert.equal(m.keep, keep);
    const seen = new Set<number>();
    for (const r of rows(m)) {
      assert.equal(r[0], 0, "class token first");
      assert.equal(new Set(r).size, keep, "no token twice");
      for (const i of r) seen.add(i);
    }
    assert.ok(!seen.has(patches), `token ${patches} (the last patch) is never kept`);
    assert.equal(seen.size, patches, "every other token is kept somewhere");
  }
});

test("'exact' count: 167 of 197 and 31 of 37, every patch eligible", () => {
  for (const [patches, keep] of [
    [196, 167],
    [36, 31],
  ]) {
    const m = randomTokenMask(200, patches, 0.15, new Rng(2), "exact");
    assert.equal(m.keep, keep);
    assert.ok(
      rows(m).some((r) => r.includes(patches)),
      "the last patch can be kept",
    );
  }
});

test("per-sample masks differ between rows and repeat with the seed", () => {
  const a = randomTokenMask(4, 196, 0.15, new Rng(7));
  const b = randomTokenMask(4, 196, 0.15, new Rng(7));
  assert.deepEqual(a, b);
  const r = rows(a).map((x) => [...x].sort((p, q) => p - q).join(","));
  assert.equal(new Set(r).size, 4);
});

test("original MSN mask: one permutation for the whole batch, class token + floor(196·0.85) = 166 patches", () => {
  const m = batchTokenMask(5, 196, 0.15, new Rng(3));
  assert.equal(m.keep, 167);
  const r = rows(m);
  for (const x of r) assert.deepEqual(x, r[0]);
  assert.equal(r[0][0], 0);
  assert.ok(r[0].slice(1).every((i) => i >= 1 && i <= 196));
  assert.equal(new Set(r[0]).size, 167);
});

test("a mask ratio outside [0, 1) is an InputError", () => {
  assert.throws(() => randomTokenMask(2, 36, 1, new Rng(1)), InputError);
  assert.throws(() => batchTokenMask(2, 36, -0.1, new Rng(1)), /maskRatio: expected a number in \[0, 1\)/);
});
