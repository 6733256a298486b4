import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { embedImages, embeddingKey } from "../../src/eval/embeddings";
import { Rng } from "../../src/util/random";
import { memoryCache, plainView, projectionEncoder } from "./support";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-embed-"));
const rng = new Rng(5);
const images = Array.from({ length: 23 }, (_, i) => ({
  id: `img${i}`,
  split: i < 15 ? "train" : "test",
  image: { width: 16, height: 16, channels: 1 as const, data: Uint8Array.from({ length: 256 }, () => rng.int(256)) },
}));

before(async () => {
  await backend.init({ quiet: true });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("embedImages: every row is the encoder's embedding of that image, batched and in order", async () => {
  const cache = memoryCache(images, path.join(tmp, "a"));
  const encoder = projectionEncoder({ imageSize: 16, channels: 1, dim: 5, seed: 1 });
  const indices = Int32Array.from([22, 3, 7, 0, 15, 9, 11]);
  const before = tf.memory().numTensors;
  const r = await embedImages({
    encoder,
    cache,
    indices,
    view: plainView,
    viewKey: "plain",
    batchSize: 3,
    quiet: true,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual([r.n, r.dims, r.reused], [7, 5, false]);
  assert.equal(encoder.calls, 3, "7 images in batches of 3");
  // Each row equals embedding that one image alone.
  for (let k = 0; k < indices.length; k++) {
    const one = tf.tidy(() => encoder.embed(plainView([images[indices[k]].image])).dataSync());
    for (let d = 0; d < 5; d++) assert.ok(Math.abs(r.data[k * 5 + d] - one[d]) < 1e-6, `row ${k} dim ${d}`);
  }
  encoder.dispose();
});

test("embeddings are kept on disk, keyed by the encoder's weights, the transform and the images", async () => {
  const cache = memoryCache(images, path.join(tmp, "b"));
  const enc1 = projectionEncoder({ imageSize: 16, channels: 1, dim: 4, seed: 1 });
  const enc2 = projectionEncoder({ imageSize: 16, channels: 1, dim: 4, seed: 2 });
  const indices = cache.indicesOf("test");
  const first = await embedImages({ encoder: enc1, cache, indices, view: plainView, viewKey: "plain", quiet: true });
  assert.ok(first.file && fs.existsSync(first.file));
  assert.equal(path.dirname(first.file), path.join(tmp, "b", "embeddings"));
  assert.equal(fs.statSync(first.file).size, indices.length * 4 * 4);
  const calls = enc1.calls;
  const again = await embedImages({ encoder: enc1, cache, indices, view: plainView, viewKey: "plain", quiet: true });
  assert.equal(again.reused, true);
  assert.equal(enc1.calls, calls, "no forward pass for a reused file");
  assert.deepEqual(again.data, first.data);
  // Another encoder, transform or image set: another key.
  const keys = new Set([
    embeddingKey({ encoder: enc1, cache, indices, viewKey: "plain" }),
    embeddingKey({ encoder: enc2, cache, indices, viewKey: "plain" }),
    embeddingKey({ encoder: enc1, cache, indices, viewKey: "other" }),
    embeddingKey({ encoder: enc1, cache, indices: indices.slice(1), viewKey: "plain" }),
  ]);
  assert.equal(keys.size, 4);
  const other = await embedImages({ encoder: enc2, cache, indices, view: plainView, viewKey: "plain", quiet: true });
  assert.equal(other.reused, false);
  assert.notDeepEqual(other.data, first.data);
  const none = await embedImages({
    encoder: enc1,
    cache,
    indices,
    view: plainView,
    viewKey: "plain",
    dir: false,
    quiet: true,
  });
  assert.equal(none.file, undefined);
  assert.deepEqual(none.data, first.data);
  enc1.dispose();
  enc2.dispose();
});

test("embedImages errors: an index outside the cache, a view of the wrong size", async () => {
  const cache = memoryCache(images, path.join(tmp, "c"));
  const encoder = projectionEncoder({ imageSize: 16, channels: 1, dim: 4, seed: 1 });
  await assert.rejects(
    embedImages({ encoder, cache, indices: [0, 23], view: plainView, viewKey: "plain", quiet: true }),
    /indices\[1\]: expected a cache index in 0\.\.22, found 23/,
  );
  const small = (ims: Parameters<typeof plainView>[0]) =>
    tf.tidy(() => tf.image.resizeBilinear(plainView(ims), [8, 8]));
  await assert.rejects(
    embedImages({ encoder, cache, indices: [0], view: small, viewKey: "small", quiet: true }),
    /view: expected images of \[B, 16, 16, 1\] \(the encoder's input\), found \[1,8,8,1\]/,
  );
  encoder.dispose();
});
