/** IdIndex: the id -> row map the cohort joins with, checked against a Map. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { IdIndex, runLookup } from "../../src/cohort/idIndex";
import { Rng } from "../../src/util/random";

test("add and get agree with a Map on MIMIC-like ids, large ids and colliding low bits", () => {
  const rng = new Rng(5);
  const ids = [
    ...Array.from({ length: 3000 }, () => 10_000_000 + rng.int(10_000_000)),
    ...Array.from({ length: 200 }, (_, k) => k * 65536), // equal low 16 bits
    2 ** 53 - 1,
    2 ** 32,
    2 ** 32 + 1,
    0,
    4294967295,
  ];
  const index = new IdIndex(ids.length);
  const map = new Map<number, number>();
  ids.forEach((id, row) => {
    const before = map.get(id);
    assert.equal(index.add(id, row), before ?? -1, `add(${id})`);
    if (before === undefined) map.set(id, row);
  });
  for (const id of ids) assert.equal(index.get(id), map.get(id));
  for (const id of [1, 10_000_000 - 1, 20_000_001, 2 ** 33]) assert.equal(index.get(id), map.get(id) ?? -1);
});

test("a full index of capacity 1 still holds its id; an absent id is -1", () => {
  const index = new IdIndex(1);
  assert.equal(index.add(42, 7), -1);
  assert.equal(index.add(42, 9), 7, "the first row stays");
  assert.equal(index.get(42), 7);
  assert.equal(index.get(43), -1);
});

test("runLookup answers as get for ids in runs, changes of id and ids not there", () => {
  const index = new IdIndex(4);
  index.add(1, 0);
  index.add(2, 5);
  const ids = [1, 1, 2, 2, 1, NaN, NaN, 3, 2];
  const lookup = runLookup(index, ids);
  assert.deepEqual(
    ids.map((_, i) => lookup(i)),
    ids.map((id) => index.get(id)),
  );
  assert.deepEqual(
    ids.map((_, i) => lookup(i)),
    [0, 0, 5, 5, 0, -1, -1, -1, 5],
  );
});
