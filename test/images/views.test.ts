import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import {
  affineCrops,
  evalViews,
  msnViews,
  normalization,
  probeTrainViews,
  resizedCrops,
  AUTHORS_EVAL_STATS,
  IMAGENET_STATS,
} from "../../src/images/views";
import { centreCropOffset } from "../../src/images/crops";
import type { CachedImage } from "../../src/images/types";
import { InputError } from "../../src/util/errors";
import { Rng } from "../../src/util/random";

const fixture = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, "../../../test/golden/images_fixture.json"), "utf8"),
);

function fromFixture(f: { width: number; height: number; data: string }): CachedImage {
  return { width: f.width, height: f.height, channels: 1, data: new Uint8Array(Buffer.from(f.data, "base64")) };
}

/** A grey test image with structure everywhere (so that any misplaced pixel shows). */
function pattern(width: number, height: number, seed: number): CachedImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = (x * 7 + y * 13 + rng.int(40)) % 256;
  return { width, height, channels: 1, data };
}

/** Output values back to 0..255 pixels (normalize: false gives pixel / 255). */
async function pixels(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  return v.map((x) => x * 255);
}

before(async () => {
  await backend.init({ quiet: true });
});

test("msnViews: shapes, view-major focal views, 3 channels replicated or 1 kept", () => {
  const imgs = [pattern(256, 300, 1), pattern(280, 256, 2), pattern(256, 256, 3)];
  const v = msnViews(imgs, new Rng(1));
  assert.deepEqual(v.target.shape, [3, 224, 224, 3]);
  assert.deepEqual(v.anchor.shape, [3, 224, 224, 3]);
  assert.deepEqual(v.focal.shape, [30, 96, 96, 3]);
  assert.equal(v.focal.dtype, "float32");
  // Grey replicated: with ImageNet stats the channels differ only by their normalisation.
  const px = v.target.slice([0, 100, 100, 0], [1, 1, 1, 3]).dataSync();
  const grey = px.map((x, c) => (x * IMAGENET_STATS.std[c] + IMAGENET_STATS.mean[c]) * 255);
  assert.ok(
    Math.abs(grey[0] - grey[1]) < 1e-3 && Math.abs(grey[1] - grey[2]) < 1e-3,
    `channels differ: ${Array.from(grey)}`,
  );
  tf.dispose(v);
  const one = msnViews(imgs, new Rng(1), { channels: 1, focalViews: 4, focalSize: 32 });
  assert.deepEqual(one.target.shape, [3, 224, 224, 1]);
  assert.deepEqual(one.focal.shape, [12, 32, 32, 1]);
  tf.dispose(one);
});

test("msnViews: the same seed and batch give identical views; another seed differs", async () => {
  const imgs = [pattern(256, 310, 4), pattern(256, 290, 5)];
  const a = msnViews(imgs, new Rng(42)),
    b = msnViews(imgs, new Rng(42)),
    c = msnViews(imgs, new Rng(43));
  for (const k of ["target", "anchor", "focal"] as const) {
    assert.deepEqual(await a[k].data(), await b[k].data(), `${k} differs for the same seed`);
    assert.notDeepEqual(await a[k].data(), await c[k].data(), `${k} equal for different seeds`);
  }
  tf.dispose([a, b, c]);
});

test("msnViews: focal view v of image b is crop number v*B+b of the same random draws (view-major order)", async () => {
  const imgs = [pattern(256, 300, 6), pattern(256, 260, 7)];
  const B = imgs.length;
  const v = msnViews(imgs, new Rng(9), { normalize: false });
  // Replay the draws: view by view, image by image, box then flip.
  const { randomResizedCropBox } = await import("../../src/images/crops");
  const rng = new Rng(9);
  const crops: { image: number; box: ReturnType<typeof randomResizedCropBox>; flip: boolean }[] = [];
  for (let view = 0; view < 12; view++) {
    for (let b = 0; b < B; b++) {
      const box = randomResizedCropBox(
        imgs[b].width,
        imgs[b].height,
        view < 2 ? [0.3, 1] : [0.05, 0.3],
        [3 / 4, 4 / 3],
        rng,
      );
      crops.push({ image: b, box, flip: rng.bernoulli(0.5) });
    }
  }
  const target = resizedCrops(imgs, crops.slice(0, B), 224, { normalize: false });
  const anchor = resizedCrops(imgs, crops.slice(B, 2 * B), 224, { normalize: false });
  const focal = resizedCrops(imgs, crops.slice(2 * B), 96, { normalize: false });
  assert.deepEqual(await v.target.data(), await target.data());
  assert.deepEqual(await v.anchor.data(), await anchor.data());
  assert.deepEqual(await v.focal.data(), await focal.data());
  tf.dispose([v, target, anchor, focal]);
});

test("flips are flips: a flipped crop is the mirror image of the unflipped one", async () => {
  const img = pattern(256, 300, 8);
  const box = { top: 37, left: 21, height: 180, width: 150 };
  const both = resizedCrops(
    [img],
    [
      { image: 0, box, flip: false },
      { image: 0, box, flip: true },
    ],
    112,
    { normalize: false },
  );
  const [plain, flipped] = tf.split(both, 2, 0);
  const mirrored = tf.reverse(plain, 2);
  const diff = tf.max(tf.abs(tf.sub(mirrored, flipped))).dataSync()[0];
  assert.ok(diff < 1e-4, `max difference ${diff}`); // float rounding only (1e-4 of the 0..1 range)
  // And it is not symmetric to begin with.
  assert.ok(tf.max(tf.abs(tf.sub(plain, flipped))).dataSync()[0] > 0.1);
  tf.dispose([both, plain, flipped, mirrored]);
  // In msnViews, hflip 1 mirrors every view drawn with the same boxes as hflip 0.
  const a = msnViews([img], new Rng(3), { hflip: 0, focalViews: 1 }),
    b = msnViews([img], new Rng(3), { hflip: 1, focalViews: 1 });
  const d = tf.max(tf.abs(tf.sub(tf.reverse(a.anchor, 2), b.anchor))).dataSync()[0];
  assert.ok(d < 1e-3, `hflip=1 anchor is not the mirror of hflip=0: ${d}`); // normalised units: ~0.06 grey levels
  tf.dispose([a, b]);
});

test("resized crops match PIL's resized_crop (+ mirror) where PIL does not antialias, and stay close where it does", async () => {
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
    const out = resizedCrops([src], [{ image: 0, box: c, flip: c.flip }], c.size, { normalize: false, channels: 1 });
    const ours = await pixels(out);
    out.dispose();
    const ref = Buffer.from(c.out, "base64");
    const box = JSON.stringify({ ...c, out: undefined });
    let maxDiff = 0,
      sumDiff = 0,
      interiorMax = 0;
    ref.forEach((r, i) => {
      const d = Math.abs(ours[i] - r);
      maxDiff = Math.max(maxDiff, d);
      sumDiff += d;
      const y = Math.floor(i / c.size),
        x = i % c.size;
      if (y > 0 && x > 0 && y < c.size - 1 && x < c.size - 1) interiorMax = Math.max(interiorMax, d);
    });
    const meanDiff = sumDiff / ref.length;
    const shrink = Math.max(c.height, c.width) / c.size;
    if (shrink <= 1) {
      // Pure interpolation: identical up to PIL's rounding to uint8, except the outermost output
      // pixels, whose samples fall just outside the box: PIL (crop first) clamps to the box's edge
      // pixel, cropAndResize interpolates with the image's next pixel.
      assert.ok(interiorMax <= 1.001, `${box}: interior max |diff| ${interiorMax.toFixed(2)}`);
      assert.ok(maxDiff <= 12, `${box}: border max |diff| ${maxDiff.toFixed(2)}`);
    } else if (shrink <= 1.6) {
      // No antialiasing in cropAndResize: small differences at the MSN crops' shrink factors.
      assert.ok(meanDiff < 6, `${box}: mean |diff| ${meanDiff.toFixed(2)}`);
    } else {
      // ~7x shrink (never happens at a 256 px cache): still the same picture on average.
      assert.ok(meanDiff < 20, `${box}: mean |diff| ${meanDiff.toFixed(2)}`);
    }
    console.log(
      `crop ${c.height}x${c.width} -> ${c.size}: mean |diff| ${meanDiff.toFixed(2)}, max ${maxDiff.toFixed(2)} (grey levels)`,
    );
  }
});

test("evalViews is an exact centre crop on a cache at the resize size, and matches PIL's Resize when it upsamples", async () => {
  const img = fromFixture(fixture.resize64);
  const out = evalViews([img], { resize: 64, crop: 56, normalize: false, channels: 1 });
  const ours = await pixels(out);
  out.dispose();
  const top = centreCropOffset(img.height, 56),
    left = centreCropOffset(img.width, 56);
  for (let y = 0; y < 56; y++) {
    for (let x = 0; x < 56; x++)
      assert.ok(Math.abs(ours[y * 56 + x] - img.data[(top + y) * img.width + left + x]) < 1e-3, `pixel ${y},${x}`);
  }
  // Upsampling 40x48 -> Resize(64): bilinear interpolation only, as PIL's.
  const small = fromFixture(fixture.small),
    up = fromFixture(fixture.upscale64);
  const o2 = evalViews([small], { resize: 64, crop: 64, normalize: false, channels: 1 });
  const v2 = await pixels(o2);
  o2.dispose();
  const t2 = centreCropOffset(up.height, 64);
  let maxDiff = 0;
  for (let y = 0; y < 64; y++)
    for (let x = 0; x < 64; x++) maxDiff = Math.max(maxDiff, Math.abs(v2[y * 64 + x] - up.data[(t2 + y) * 64 + x]));
  assert.ok(maxDiff <= 1, `max |diff| ${maxDiff}`);
});

test("affineCrops reproduce torchvision's PIL flip + RandomAffine (nearest, fill 0) + CenterCrop", async () => {
  const img = fromFixture(fixture.resize64);
  for (const a of fixture.affine as {
    angle: number;
    tx: number;
    ty: number;
    scale: number;
    flip: boolean;
    out: string;
  }[]) {
    const out = affineCrops([img], [{ flip: a.flip, affine: { angle: a.angle, tx: a.tx, ty: a.ty, scale: a.scale } }], {
      resize: 64,
      crop: 56,
      normalize: false,
      channels: 1,
    });
    const ours = await pixels(out);
    out.dispose();
    const ref = Buffer.from(a.out, "base64");
    // Nearest sampling: pixels equal, except where a sample falls exactly on a cell border (rounding ties).
    let mismatched = 0;
    ref.forEach((r, i) => {
      if (Math.abs(ours[i] - r) > 1e-3) mismatched++;
    });
    assert.ok(
      mismatched <= ref.length * 0.005,
      `${JSON.stringify(a).slice(0, 80)}: ${mismatched} of ${ref.length} pixels differ`,
    );
  }
});

test("probeTrainViews: seeded, shaped, zero fill outside the rotated image", async () => {
  const imgs = [pattern(256, 300, 11), pattern(300, 256, 12)];
  const a = probeTrainViews(imgs, new Rng(5)),
    b = probeTrainViews(imgs, new Rng(5));
  assert.deepEqual(a.shape, [2, 224, 224, 3]);
  assert.deepEqual(await a.data(), await b.data());
  // A 45 degree rotation leaves corners empty: filled with pixel 0, i.e. -mean/std after normalisation.
  const rot = probeTrainViews([imgs[0]], new Rng(1), {
    degrees: 45,
    translate: [0, 0],
    scale: [0.85, 0.85],
    hflip: 0,
    normalize: "imagenet",
  });
  const corner = rot.slice([0, 0, 0, 0], [1, 1, 1, 3]).dataSync();
  IMAGENET_STATS.mean.forEach((m, c) =>
    assert.ok(Math.abs(corner[c] + m / IMAGENET_STATS.std[c]) < 1e-4, `corner channel ${c}: ${corner[c]}`),
  );
  tf.dispose([a, b, rot]);
});

test("normalisation: ImageNet by default, the authors' evaluation stats on request, grey averaged for one channel", async () => {
  const flat: CachedImage = { width: 256, height: 256, channels: 1, data: new Uint8Array(256 * 256).fill(200) };
  const check = async (t: tf.Tensor, mean: readonly number[], std: readonly number[]) => {
    const v = await t.data();
    const C = t.shape[3]!;
    for (let i = 0; i < v.length; i += 997) {
      const c = i % C;
      assert.ok(Math.abs(v[i] - (200 / 255 - mean[c]) / std[c]) < 1e-4, `value ${v[i]} channel ${c}`);
    }
    t.dispose();
  };
  const m = msnViews([flat], new Rng(0), { focalViews: 1 });
  await check(m.target, IMAGENET_STATS.mean, IMAGENET_STATS.std);
  await check(m.focal, IMAGENET_STATS.mean, IMAGENET_STATS.std);
  m.anchor.dispose();
  await check(evalViews([flat]), IMAGENET_STATS.mean, IMAGENET_STATS.std);
  await check(evalViews([flat], { normalize: "authors-eval" }), AUTHORS_EVAL_STATS.mean, AUTHORS_EVAL_STATS.std);
  await check(evalViews([flat], { normalize: { mean: [0.5], std: [0.25] } }), [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]);
  await check(evalViews([flat], { normalize: false, channels: 1 }), [0], [1]);
  const avg = (xs: readonly number[]) => [xs.reduce((a, b) => a + b) / 3];
  await check(evalViews([flat], { channels: 1 }), avg(IMAGENET_STATS.mean), avg(IMAGENET_STATS.std));
  assert.deepEqual(
    normalization("imagenet", 3).offset.map((o) => +o.toFixed(6)),
    IMAGENET_STATS.mean.map((mu, c) => +(-mu / IMAGENET_STATS.std[c]).toFixed(6)),
  );
  // Over a real image, the normalised views have the statistics the formula implies.
  const img = pattern(256, 256, 13);
  let s = 0,
    s2 = 0;
  img.data.forEach((p) => {
    s += p / 255;
    s2 += (p / 255) ** 2;
  });
  const mu = s / img.data.length,
    sd = Math.sqrt(s2 / img.data.length - mu * mu);
  const full = resizedCrops(
    [img],
    [{ image: 0, box: { top: 0, left: 0, height: 256, width: 256 }, flip: false }],
    256,
    { normalize: { mean: [mu], std: [sd] }, channels: 1 },
  );
  const moments = tf.moments(full);
  assert.ok(
    Math.abs(moments.mean.dataSync()[0]) < 1e-4 && Math.abs(Math.sqrt(moments.variance.dataSync()[0]) - 1) < 1e-4,
  );
  tf.dispose([full, moments.mean, moments.variance]);
});

test("views allocate no lasting tensors", () => {
  const imgs = [pattern(256, 280, 14), pattern(256, 256, 15)];
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    tf.dispose(msnViews(imgs, new Rng(i)));
    evalViews(imgs).dispose();
    probeTrainViews(imgs, new Rng(i)).dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test("bad inputs are InputErrors naming the option", () => {
  const img = pattern(256, 256, 16);
  const rgb: CachedImage = { width: 4, height: 4, channels: 3, data: new Uint8Array(48) };
  assert.throws(
    () => msnViews([], new Rng(0)),
    (e: unknown) => e instanceof InputError && /images/.test(e.message),
  );
  assert.throws(() => msnViews([img], new Rng(0), { randomScale: [0.5, 0.2] }), /randomScale: expected \[min, max\]/);
  assert.throws(() => msnViews([img], new Rng(0), { hflip: 2 }), /hflip: expected a probability/);
  assert.throws(() => evalViews([rgb], { channels: 1 }), /channels: expected 3 for a cache of RGB images/);
  assert.throws(() => evalViews([img], { resize: 200, crop: 224 }), /crop: expected at most resize \(200\), found 224/);
  assert.throws(() => evalViews([{ ...img, data: new Uint8Array(10) }]), /images\[0\]: expected 1-channel pixels/);
  assert.throws(
    () => resizedCrops([img], [{ image: 0, box: { top: 200, left: 0, height: 100, width: 10 }, flip: false }], 8),
    /crops\[0\]: expected a box inside its image/,
  );
  assert.throws(() => evalViews([img], { normalize: { mean: [0.5, 0.5], std: [1, 1] } }), /normalize: expected/);
});
