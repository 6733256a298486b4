import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  centreCropOffset,
  inverseAffine,
  pyRound,
  randomAffineParams,
  randomResizedCropBox,
} from "../../src/images/crops";
import { Rng } from "../../src/util/random";

test("pyRound rounds halves to even, as Python's round", () => {
  assert.deepEqual(
    [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6, 3].map(pyRound),
    [0, 2, 2, -0, -2, -2, 2, 3, -3, 3],
  );
});

test("RandomResizedCrop boxes respect the scale and ratio ranges and lie inside the image", () => {
  const rng = new Rng(1);
  for (const [W, H] of [
    [256, 256],
    [256, 310],
    [341, 256],
  ]) {
    for (const [scale, ratio] of [
      [
        [0.3, 1],
        [3 / 4, 4 / 3],
      ],
      [
        [0.05, 0.3],
        [3 / 4, 4 / 3],
      ],
    ] as [[number, number], [number, number]][]) {
      const areas: number[] = [];
      for (let k = 0; k < 2000; k++) {
        const b = randomResizedCropBox(W, H, scale, ratio, rng);
        assert.ok(
          b.top >= 0 && b.left >= 0 && b.top + b.height <= H && b.left + b.width <= W,
          `outside: ${JSON.stringify(b)}`,
        );
        // Rounding w and h to integers moves area and ratio by at most about one pixel's worth.
        const area = (b.width * b.height) / (W * H);
        const tolA = (b.width + b.height + 1) / (W * H);
        assert.ok(
          area >= scale[0] - tolA && area <= scale[1] + tolA,
          `area ${area} outside ${scale} (${JSON.stringify(b)})`,
        );
        const r = b.width / b.height;
        const tolR = r * (1 / b.width + 1 / b.height);
        assert.ok(r >= ratio[0] - tolR && r <= ratio[1] + tolR, `ratio ${r} outside ${ratio}`);
        areas.push(area);
      }
      // The whole range is used (large areas are rarer: their boxes often do not fit and are redrawn).
      areas.sort((x, y) => x - y);
      const span = scale[1] - scale[0];
      assert.ok(
        areas[0] < scale[0] + 0.02 * span && areas[areas.length - 1] > scale[1] - 0.1 * span,
        `areas ${areas[0]}..${areas[areas.length - 1]}`,
      );
      const median = areas[1000];
      assert.ok(median > scale[0] + 0.25 * span && median < scale[0] + 0.6 * span, `median area ${median}`);
    }
  }
});

test("when 10 tries fail, the central crop clamped to the ratio range is used (torchvision's fallback)", () => {
  const rng = new Rng(2);
  // A very wide image: no box of ratio <= 4/3 reaches 90% of its area.
  assert.deepEqual(randomResizedCropBox(1000, 100, [0.9, 1], [3 / 4, 4 / 3], rng), {
    top: 0,
    left: 433,
    height: 100,
    width: 133,
  });
  // A very tall one.
  assert.deepEqual(randomResizedCropBox(100, 1000, [0.9, 1], [3 / 4, 4 / 3], rng), {
    top: 433,
    left: 0,
    height: 133,
    width: 100,
  });
  // Within the ratio range: the whole image.
  assert.deepEqual(randomResizedCropBox(120, 100, [1.5, 2], [3 / 4, 4 / 3], rng), {
    top: 0,
    left: 0,
    height: 100,
    width: 120,
  });
});

test("the same seed gives the same boxes", () => {
  const a = new Rng(5),
    b = new Rng(5);
  for (let k = 0; k < 50; k++)
    assert.deepEqual(
      randomResizedCropBox(256, 300, [0.05, 0.3], [0.75, 4 / 3], a),
      randomResizedCropBox(256, 300, [0.05, 0.3], [0.75, 4 / 3], b),
    );
});

test("centre crop offsets and the inverse affine map are torchvision's", () => {
  assert.equal(centreCropOffset(256, 224), 16);
  assert.equal(centreCropOffset(301, 224), 38); // round(38.5) = 38 (half to even)
  assert.equal(centreCropOffset(303, 224), 40); // round(39.5) = 40
  // Identity parameters map every point to itself.
  const id = inverseAffine({ angle: 0, tx: 0, ty: 0, scale: 1 }, 64, 80);
  assert.deepEqual(
    id.map((v) => +v.toFixed(12) + 0),
    [1, 0, 0, 0, 1, 0],
  );
  // A pure translation by (5, -3): output (x, y) comes from input (x - 5, y + 3).
  const [a, b, c, d, e, f] = inverseAffine({ angle: 0, tx: 5, ty: -3, scale: 1 }, 64, 80);
  assert.deepEqual([a * 10 + b * 20 + c, d * 10 + e * 20 + f], [5, 23]);
  // 90 degrees about the centre (32, 40) with scale 2: the centre stays, a point 2 px right of it comes from 1 px away.
  const m = inverseAffine({ angle: 90, tx: 0, ty: 0, scale: 2 }, 64, 80);
  const at = (x: number, y: number) =>
    [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]].map((v) => +v.toFixed(9) + 0);
  assert.deepEqual(at(32, 40), [32, 40]);
  assert.deepEqual(at(34, 40), [32, 39]);
  // Parameters are drawn in torchvision's ranges, translations as integers.
  const rng = new Rng(3);
  for (let k = 0; k < 200; k++) {
    const p = randomAffineParams(256, 300, 45, [0.15, 0.15], [0.85, 1.15], rng);
    assert.ok(Math.abs(p.angle) <= 45 && p.scale >= 0.85 && p.scale <= 1.15);
    assert.ok(
      Number.isInteger(p.tx) &&
        Math.abs(p.tx) <= Math.round(0.15 * 256) &&
        Number.isInteger(p.ty) &&
        Math.abs(p.ty) <= Math.round(0.15 * 300),
    );
  }
});
