/**
 * MAE against PyTorch (test/golden/mae_reference.py, float64, facebookresearch/mae's masking, decoder
 * and loss on torchvision's ViT): encoder tokens, predictions, the loss within 1e-5 relative (normalised
 * and raw pixels) and the gradient of every parameter within 1e-4; the masking's own rules by hand.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { MaeModel, MaeModelOptions, patchify } from "../../src/model/mae";
import { sinCosPositionEmbedding } from "../../src/model/maeDecoder";
import { maeKeptPatches, maeMaskFromOrder, maeMaskTensors, maeRandomMask } from "../../src/model/maeMasking";
import { readSafetensors, SafeTensor } from "../../src/model/safetensors";
import { Rng } from "../../src/util/random";
import { assertClose, golden } from "./support";

const OPTIONS: MaeModelOptions = {
  vit: { dim: 32, layers: 2, heads: 2, mlpDim: 128, patch: 4, imageSize: 32, channels: 3 },
  decoderDim: 24,
  decoderLayers: 2,
  decoderHeads: 3,
};
const PATCHES = 64;

let weights: Map<string, SafeTensor>;
let inputs: Map<string, SafeTensor>;
let expected: Map<string, SafeTensor>;

before(async () => {
  await backend.init({ quiet: true });
  weights = readSafetensors(golden("mae_weights.safetensors")).tensors;
  inputs = readSafetensors(golden("mae_inputs.safetensors")).tensors;
  expected = readSafetensors(golden("mae_expected.safetensors")).tensors;
});

const want = (name: string) => {
  const t = expected.get(name);
  assert.ok(t, `fixture has ${name}`);
  return t.data;
};

function fixture() {
  const img = inputs.get("images")!;
  const images = tf.tensor4d(img.data, img.shape as [number, number, number, number]);
  const order = inputs.get("ids_shuffle")!.data as Int32Array;
  const mask = maeMaskFromOrder(order, img.shape[0], PATCHES, maeKeptPatches(PATCHES, 0.75));
  return { images, mask, tensors: maeMaskTensors(mask) };
}

function loadedModel(normPixLoss = true): MaeModel {
  const m = new MaeModel({ ...OPTIONS, normPixLoss });
  m.loadState(weights, "mae_weights.safetensors");
  return m;
}

test("MAE: encoder tokens, predictions, loss and the gradient of every parameter equal PyTorch's", () => {
  const m = loadedModel();
  const { images, mask, tensors } = fixture();
  assert.deepEqual(Array.from(mask.masked), Array.from(want("mask")), "the masked patches are MAE's");
  assertClose(
    sinCosPositionEmbedding(24, 8),
    want("decoder_pos"),
    1e-6,
    "the decoder's fixed sine-cosine position embedding",
  );
  assertClose(
    tf.tidy(() => m.encoder.encode(images, { keep: tensors.keep }).dataSync()),
    want("latent"),
    1e-5,
    "encoder tokens",
  );
  assertClose(
    tf.tidy(() => m.predict(images, tensors).dataSync()),
    want("pred"),
    1e-5,
    "decoder predictions",
  );
  const trained = m.namedParams();
  const expectedGrads = [...expected.keys()]
    .filter((k) => k.startsWith("grad."))
    .map((k) => k.slice(5))
    .sort();
  assert.deepEqual(trained.map(([n]) => n).sort(), expectedGrads, "MAE trains every parameter PyTorch differentiates");
  const { value, grads } = tf.variableGrads(
    () => m.loss(images, tensors),
    trained.map(([, v]) => v),
  );
  const loss = value.dataSync()[0];
  assertClose([loss], want("loss"), 1e-5, "loss (normalised pixels)");
  let worst = 0;
  for (const [name, v] of trained) {
    assert.ok(grads[v.name], `a gradient for ${name}`);
    worst = Math.max(worst, assertClose(grads[v.name].dataSync(), want(`grad.${name}`), 1e-4, `gradient of ${name}`));
  }
  console.log(
    `# MAE: loss ${loss.toFixed(6)}, ${trained.length} gradients, worst relative error ${worst.toExponential(2)}`,
  );
  const raw = loadedModel(false);
  assertClose([tf.tidy(() => raw.loss(images, tensors).dataSync()[0])], want("loss_raw"), 1e-5, "loss (raw pixels)");
  tf.dispose([value, ...Object.values(grads), images, ...Object.values(tensors)]);
  m.dispose();
  raw.dispose();
});

test("MAE masking: int(L·(1 − ratio)) patches kept per image, the class token first, restore puts every token back", () => {
  assert.equal(maeKeptPatches(196, 0.75), 49);
  assert.equal(maeKeptPatches(64, 0.75), 16);
  assert.throws(() => maeKeptPatches(4, 0.9), /maeMaskRatio/);
  const m = maeRandomMask(3, 16, 0.75, new Rng(5));
  assert.equal(m.kept, 4);
  for (let r = 0; r < 3; r++) {
    const keep = Array.from(m.keep.subarray(r * 5, r * 5 + 5));
    assert.equal(keep[0], 0, "class token first");
    const masked = Array.from(m.masked.subarray(r * 16, r * 16 + 16));
    assert.equal(
      masked.reduce((a, b) => a + b, 0),
      12,
    );
    for (const t of keep.slice(1)) assert.equal(masked[t - 1], 0, "a kept patch is not scored");
    // The decoder's input is [class, kept..., mask tokens...]: restore must be a permutation of it that
    // sends each kept token back to its place.
    const restore = Array.from(m.restore.subarray(r * 17, r * 17 + 17));
    assert.deepEqual(
      [...restore].sort((a, b) => a - b),
      [...Array(17).keys()],
    );
    keep.forEach((t, i) => assert.equal(restore[t], i));
  }
  const again = maeRandomMask(3, 16, 0.75, new Rng(5));
  assert.deepEqual(again.keep, m.keep, "the same seed draws the same mask");
});

test("patchify: patches row-major, each in (row, column, channel) order", () => {
  // 4x4 image, 2 channels, patch 2: value = 100·y + 10·x + c.
  const data = Float32Array.from({ length: 32 }, (_, i) => {
    const c = i % 2;
    const x = Math.floor(i / 2) % 4;
    const y = Math.floor(i / 8);
    return 100 * y + 10 * x + c;
  });
  const p = tf.tidy(() => patchify(tf.tensor4d(data, [1, 4, 4, 2]), 2).arraySync());
  assert.deepEqual(p[0][1], [20, 21, 30, 31, 120, 121, 130, 131], "patch (0, 1)");
  assert.deepEqual(p[0][2], [200, 201, 210, 211, 300, 301, 310, 311], "patch (1, 0)");
});
