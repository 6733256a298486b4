import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { loader, patientSubset } from "../../src/images/loader";
import { evalViews, msnViews } from "../../src/images/views";
import type { CachedImage, ImageCache } from "../../src/images/types";
import { InputError } from "../../src/util/errors";
import { Rng } from "../../src/util/random";

/** An in-memory ImageCache: image i is a 256 x (256 + i % 7) picture whose pixels encode i. */
function memoryCache(n: number, reads: number[] = []): ImageCache {
  const img = (i: number): CachedImage => {
    const width = 256,
      height = 256 + (i % 7);
    const data = new Uint8Array(width * height);
    for (let k = 0; k < data.length; k++) data[k] = (i * 31 + k) % 251;
    return { width, height, channels: 1, data };
  };
  return {
    dir: "memory",
    size: n,
    shortSide: 256,
    channels: 1,
    splits: ["train"],
    report: {
      requested: n,
      stored: n,
      skipped: [],
      skippedByReason: { missing: 0, undecodable: 0 },
      reused: false,
      buildSeconds: 0,
    },
    id: (i) => `id${i}`,
    split: () => "train",
    indexOf: (id) => Number(id.slice(2)),
    indicesOf: () => Int32Array.from({ length: n }, (_, i) => i),
    shape: (i) => ({ width: 256, height: 256 + (i % 7) }),
    get: img,
    getBatch: (idx) => Array.from(idx, img),
    readBatch: async (idx) => {
      reads.push(...Array.from(idx));
      await new Promise((r) => setTimeout(r, 1));
      return Array.from(idx, img);
    },
    close: () => undefined,
  };
}

/** A transform recording what it saw; its output is the first pixel of each image (which identifies it). */
const firstPixels = (images: CachedImage[]) => ({ first: tf.tensor1d(images.map((im) => im.data[0])) });

async function collect<T extends object>(it: AsyncIterable<T & { indices: Int32Array }>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of it) {
    out.push(Array.from(b.indices));
    tf.dispose(b as unknown as tf.TensorContainer);
  }
  return out;
}

before(async () => {
  await backend.init({ quiet: true });
});

test("an epoch yields every index once, in order without shuffle, with a short last batch kept", async () => {
  const cache = memoryCache(10);
  const l = loader({ cache, batchSize: 4, transform: firstPixels });
  assert.equal(l.batches, 3);
  assert.equal(l.images, 10);
  assert.equal(l.dropped, 0);
  assert.deepEqual(await collect(l), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  // The batch's tensors are those of its images.
  for await (const b of loader({ cache, batchSize: 3, indices: [9, 2, 5], transform: firstPixels })) {
    assert.deepEqual(
      Array.from(await b.first.data()),
      [9, 2, 5].map((i) => (i * 31) % 251),
    );
    b.first.dispose();
  }
});

test("dropLast leaves out the short batch and counts it", async () => {
  const l = loader({ cache: memoryCache(10), batchSize: 4, dropLast: true, transform: firstPixels });
  assert.equal(l.batches, 2);
  assert.equal(l.images, 8);
  assert.equal(l.dropped, 2);
  assert.deepEqual((await collect(l)).flat().length, 8);
});

test("shuffling depends on the seed and the epoch, and covers every index", async () => {
  const cache = memoryCache(50);
  const order = async (seed: number, epoch: number) =>
    (await collect(loader({ cache, batchSize: 8, shuffle: true, seed, epoch, transform: firstPixels }))).flat();
  const a = await order(1, 0),
    b = await order(1, 0),
    c = await order(1, 1),
    d = await order(2, 0);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a, d);
  for (const o of [a, c, d])
    assert.deepEqual(
      [...o].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i),
    );
});

test("a batch's augmentation depends on (seed, epoch, batch) only, not on prefetching", async () => {
  const cache = memoryCache(6);
  const views = async (prefetch: number) => {
    const out: number[][] = [];
    for await (const b of loader({
      cache,
      batchSize: 3,
      seed: 7,
      prefetch,
      transform: (imgs, rng) => msnViews(imgs, rng, { focalViews: 1, focalSize: 16, randomSize: 32 }),
    })) {
      out.push(Array.from(await b.anchor.data()).slice(0, 50));
      tf.dispose([b.target, b.anchor, b.focal]);
    }
    return out;
  };
  assert.deepEqual(await views(0), await views(3));
});

test("the loader reads ahead while the consumer works, and disposes what it read ahead when the loop stops early", async () => {
  const reads: number[] = [];
  const cache = memoryCache(40, reads);
  const before = tf.memory().numTensors;
  let seen = 0;
  for await (const b of loader({
    cache,
    batchSize: 4,
    prefetch: 2,
    transform: (imgs) => ({ x: evalViews(imgs, { crop: 32, resize: 32 }) }),
  })) {
    // While batch 0 is in hand, batches 1 and 2 are already being read.
    if (seen === 0) {
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        reads.slice(0, 12),
        Array.from({ length: 12 }, (_, i) => i),
      );
    }
    b.x.dispose();
    if (++seen === 2) break;
  }
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(tf.memory().numTensors, before, "batches made ahead were not disposed");
});

test("errors of a batch surface at that batch; bad options are InputErrors", async () => {
  const cache = memoryCache(8);
  const failing = loader({
    cache,
    batchSize: 4,
    transform: (imgs) => {
      if (imgs[0].data[0] === (4 * 31) % 251) throw new Error("transform failed on batch 1");
      return { n: imgs.length };
    },
  });
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const b of failing) got.push(b.n);
  }, /transform failed on batch 1/);
  assert.deepEqual(got, [4]);
  assert.throws(
    () => loader({ cache, batchSize: 0, transform: firstPixels }),
    /batchSize: expected a positive integer, found 0/,
  );
  assert.throws(
    () => loader({ cache, batchSize: 2, indices: [0, 8], transform: firstPixels }),
    /indices\[1\]: expected a cache index in 0\.\.7, found 8/,
  );
  assert.throws(() => loader({ cache, batchSize: 2, indices: [0.5], transform: firstPixels }), InputError);
  const bare = loader({
    cache,
    batchSize: 2,
    transform: (imgs) => tf.zeros([imgs.length]) as unknown as { x: tf.Tensor },
  });
  const before = tf.memory().numTensors;
  await assert.rejects(async () => {
    for await (const b of bare) tf.dispose(b as unknown as tf.TensorContainer);
  }, /transform: expected an object of named outputs, e\.g\. \{ x: tensor \}, found a bare tensor/);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(tf.memory().numTensors, before);
});

test("patientSubset picks a percent of the training patients with all their images, reproducibly", () => {
  // 20 patients with 1-3 images each; indices are cache indices (here 100 + row).
  const subjects: string[] = [];
  const rng = new Rng(3);
  for (let p = 0; p < 20; p++) for (let k = 0, n = 1 + rng.int(3); k < n; k++) subjects.push(`p${p}`);
  const indices = subjects.map((_, j) => 100 + j);
  const a = patientSubset({ indices, subjects, percent: 25, seed: 1 });
  const chosen = new Set(Array.from(a, (i) => subjects[i - 100]));
  assert.equal(chosen.size, 5);
  // Every image of a chosen patient is in, none of the others.
  assert.deepEqual(
    Array.from(a),
    indices.filter((_, j) => chosen.has(subjects[j])),
  );
  assert.deepEqual(patientSubset({ indices, subjects, percent: 25, seed: 1 }), a);
  // Same patients whatever the row order.
  const rev = patientSubset({
    indices: [...indices].reverse(),
    subjects: [...subjects].reverse(),
    percent: 25,
    seed: 1,
  });
  assert.deepEqual(Array.from(rev).sort(), Array.from(a).sort());
  assert.notDeepEqual(patientSubset({ indices, subjects, percent: 25, seed: 2 }), a);
  assert.equal(patientSubset({ indices, subjects, percent: 100, seed: 1 }).length, indices.length);
  assert.equal(
    new Set(Array.from(patientSubset({ indices, subjects, percent: 1, seed: 1 }), (i) => subjects[i - 100])).size,
    1,
  );
  assert.throws(
    () => patientSubset({ indices, subjects, percent: 0, seed: 1 }),
    /percent: expected a number in \(0, 100\], found 0/,
  );
  assert.throws(
    () => patientSubset({ indices, subjects: subjects.slice(1), percent: 5, seed: 1 }),
    /subjects: expected one patient per index/,
  );
});
