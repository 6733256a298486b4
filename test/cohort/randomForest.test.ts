/** The imputation forest: learns what is learnable, is seeded, and checks its input. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { RandomForest } from "../../src/cohort/randomForest";
import { Rng } from "../../src/util/random";

function data(n: number, seed: number) {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = [rng.int(4), rng.int(10), rng.int(2), rng.int(5)];
    x.push(row);
    // class = f(feature 0, feature 2) with 5% noise; features 1 and 3 are noise
    y.push(rng.bernoulli(0.05) ? rng.int(3) : row[0] === 3 ? 2 : row[2]);
  }
  return { x, y };
}

test("a deterministic rule of two features is learnt (accuracy on fresh data near 1 - noise)", () => {
  const train = data(3000, 1);
  const test_ = data(1000, 2);
  const f = new RandomForest({ trees: 30, seed: 7 }).fit(train.x, train.y);
  const pred = f.predict(test_.x);
  const acc = pred.filter((p, i) => p === test_.y[i]).length / pred.length;
  assert.ok(acc > 0.93 && acc < 0.99, `accuracy ${acc}`);
  const p = f.predictProba([[3, 0, 0, 0]])[0];
  assert.equal(p.length, 3);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.ok(p[2] > 0.9);
});

test("the same seed gives the same forest; another seed another one", () => {
  const { x, y } = data(500, 3);
  const probe = data(200, 4).x;
  const a = new RandomForest({ trees: 10, seed: 1 }).fit(x, y).predictProba(probe);
  const b = new RandomForest({ trees: 10, seed: 1 }).fit(x, y).predictProba(probe);
  const c = new RandomForest({ trees: 10, seed: 2 }).fit(x, y).predictProba(probe);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("a pure node is a leaf; bad features are refused", () => {
  const f = new RandomForest({ trees: 3, seed: 1 }).fit([[0], [1], [0], [1]], [1, 1, 1, 1]);
  assert.deepEqual(f.predict([[0], [5]]), [1, 1]);
  assert.throws(() => new RandomForest().fit([[0.5]], [0]), /features must be integers in \[0, 64\), got 0\.5/);
  assert.throws(() => new RandomForest().fit([[0]], []), /fit needs as many rows as labels/);
});
