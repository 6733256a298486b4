/**
 * PIL's bilinear resize and the evaluation views on a cache stored larger than their resize, against
 * the PIL fixture of test/golden/images_reference.py (Resize(64) of a 170x200 image, ~2.7x smaller,
 * which PIL antialiases).
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { pilResize, resizeShortSide } from "../../src/images/resize";
import { affineCrops, evalViews, msnViews, resizedCrops } from "../../src/images/views";
import { Rng } from "../../src/util/random";
import { centreCropOffset } from "../../src/images/crops";
import type { CachedImage } from "../../src/images/types";

const fixture = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, "../../../test/golden/images_fixture.json"), "utf8"),
);

function fromFixture(f: { width: number; height: number; data: string }): CachedImage {
  return { width: f.width, height: f.height, channels: 1, data: new Uint8Array(Buffer.from(f.data, "base64")) };
}

/** Output values back to 0..255 pixels (normalize: false gives pixel / 255). */
async function pixels(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v.map((x) => Math.round(x * 255));
}

before(async () => {
  await backend.init({ quiet: true });
});

test("pilResize is PIL's bilinear resize, pixel for pixel, shrinking (antialiased) and enlarging", () => {
  const src = fromFixture(fixture.source);
  const down = fromFixture(fixture.resize64);
  assert.deepEqual(pilResize(src, down.width, down.height).data, down.data);
  const up = fromFixture(fixture.upscale64);
  assert.deepEqual(pilResize(fromFixture(fixture.small), up.width, up.height).data, up.data);
  assert.deepEqual(resizeShortSide(src, 64).data, down.data);
  assert.equal(resizeShortSide(down, 64), down, "an image already at the size is not resampled");
});

test("pilResize resamples every channel of an RGB image as its own grey image", () => {
  const src = fromFixture(fixture.source);
  const rgb = new Uint8Array(src.data.length * 3);
  src.data.forEach((v, i) => rgb.set([v, 255 - v, (v * 7) % 256], i * 3));
  const out = pilResize({ ...src, channels: 3, data: rgb }, 64, 75);
  for (let c = 0; c < 3; c++) {
    const plane = Uint8Array.from({ length: src.data.length }, (_, i) => rgb[i * 3 + c]);
    const alone = pilResize({ ...src, data: plane }, 64, 75).data;
    assert.deepEqual(
      Uint8Array.from({ length: 64 * 75 }, (_, i) => out.data[i * 3 + c]),
      alone,
      `channel ${c}`,
    );
  }
});

test("evalViews on an image stored larger than the resize: PIL's Resize then an exact centre crop", async () => {
  const ours = await pixels(
    evalViews([fromFixture(fixture.source)], { resize: 64, crop: 56, normalize: false, channels: 1 }),
  );
  const ref = fromFixture(fixture.resize64);
  const top = centreCropOffset(ref.height, 56),
    left = centreCropOffset(ref.width, 56);
  for (let y = 0; y < 56; y++)
    for (let x = 0; x < 56; x++)
      assert.equal(ours[y * 56 + x], ref.data[(top + y) * ref.width + left + x], `pixel ${y},${x}`);
});

test("affineCrops on an image stored larger than the resize reproduce PIL's Resize + flip + affine + CenterCrop", async () => {
  const src = fromFixture(fixture.source);
  for (const a of fixture.affine as {
    angle: number;
    tx: number;
    ty: number;
    scale: number;
    flip: boolean;
    out: string;
  }[]) {
    const params = [{ flip: a.flip, affine: { angle: a.angle, tx: a.tx, ty: a.ty, scale: a.scale } }];
    const ours = await pixels(affineCrops([src], params, { resize: 64, crop: 56, normalize: false, channels: 1 }));
    const ref = Buffer.from(a.out, "base64");
    // Nearest sampling: equal, except where a sample falls exactly on a cell border (rounding ties).
    let mismatched = 0;
    ref.forEach((r, i) => {
      if (ours[i] !== r) mismatched++;
    });
    assert.ok(mismatched <= ref.length * 0.005, `${a.angle}°: ${mismatched} of ${ref.length} pixels differ`);
  }
});

test("antialiased crops are torchvision's resized_crop (+ mirror) on PIL, pixel for pixel, shrinking or not", async () => {
  const src = fromFixture(fixture.source);
  for (const c of fixture.crops as {
    top: number;
    left: number;
    height: number;
    width: number;
    flip: boolean;
    size: number;
    out: string;
  }[]) {
    const crop = [{ image: 0, box: c, flip: c.flip }];
    const ours = await pixels(resizedCrops([src], crop, c.size, { normalize: false, channels: 1, antialias: true }));
    assert.deepEqual(
      Uint8Array.from(ours),
      new Uint8Array(Buffer.from(c.out, "base64")),
      JSON.stringify({ ...c, out: undefined }),
    );
  }
});

test("msnViews with antialias: the same draws as without, each view PIL's resized crop", async () => {
  const src = fromFixture(fixture.source);
  const options = { randomSize: 24, focalSize: 8, focalViews: 2, normalize: false as const, channels: 1 as const };
  const before = tf.memory().numTensors;
  const plain = msnViews([src, src], new Rng(3), options);
  const pil = msnViews([src, src], new Rng(3), { ...options, antialias: true });
  assert.deepEqual(pil.focal.shape, [4, 8, 8, 1]);
  // The crops of the fixture image shrink ~2-5x: antialiasing changes the pixels, not the picture.
  const [a, b] = [await pixels(plain.target), await pixels(pil.target)];
  const mean = a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
  assert.ok(mean > 0.5 && mean < 20, `mean |diff| ${mean.toFixed(2)}`);
  tf.dispose([plain, pil]);
  assert.equal(tf.memory().numTensors, before);
});
