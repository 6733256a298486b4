import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { load, saveEncoder } from "../../src/model/load";
import { TensorToWrite, writeSafetensors } from "../../src/model/safetensors";
import { vit, vitConfig, VisionTransformer } from "../../src/model/vit";
import { InputError } from "../../src/util/errors";
import { Rng } from "../../src/util/random";
import { assertClose } from "./support";
import { tempDir } from "../support/tempDir";

const SMALL = { dim: 24, layers: 2, heads: 3, patch: 4, imageSize: 16, seed: 5 };
let dir: string;

before(async () => {
  await backend.init({ quiet: true });
  dir = tempDir("vit");
});

function images(n: number, side: number, seed = 1): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: n * side * side * 3 }, () => rng.normal()),
    [n, side, side, 3],
  );
}

test("named sizes: tiny 192/12/6 (≈5.52 M parameters, as the spec), a 3-head tiny, small 384/12/6, base 768/12/12", () => {
  assert.deepEqual(vitConfig({ size: "tiny" }), {
    dim: 192,
    layers: 12,
    heads: 6,
    mlpDim: 768,
    imageSize: 224,
    patch: 16,
    channels: 3,
  });
  assert.equal(vitConfig({ size: "tiny", heads: 3 }).heads, 3);
  assert.deepEqual(vitConfig({ size: "small" }).dim, 384);
  assert.equal(vitConfig({ size: "base" }).heads, 12);
  const tiny = vit({ size: "tiny" });
  assert.ok(Math.abs(tiny.params.count() / 1e6 - 5.52) < 0.01, `${tiny.params.count()}`);
  assert.equal(tiny.params.names().length, 4 + 12 * 12 + 2);
  tiny.dispose();
});

test("configuration errors: image size not a multiple of the patch, heads not dividing the width, unknown size", () => {
  assert.throws(
    () => vitConfig({ imageSize: 100 }),
    (e: unknown) =>
      e instanceof InputError && /imageSize: expected a multiple of the patch size 16, found 100/.test(e.message),
  );
  assert.throws(() => vitConfig({ dim: 100, heads: 3 }), /heads: expected a divisor of the hidden size 100/);
  assert.throws(() => vitConfig({ size: "huge" as "tiny" }), /size: expected one of tiny, small, base/);
});

test("embed: [B, D] output, class token after the final norm (zero mean, unit variance per row), other image sizes too", () => {
  const m = vit(SMALL);
  const x = images(3, 16);
  const e = m.embed(x);
  assert.deepEqual(e.shape, [3, 24]);
  const row = [...e.dataSync().subarray(0, 24)];
  const mean = row.reduce((a, b) => a + b, 0) / 24;
  const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 24;
  assert.ok(
    Math.abs(mean) < 1e-5 && Math.abs(variance - 1) < 1e-3,
    `LayerNorm weight 1, bias 0 at init: mean ${mean}, var ${variance}`,
  );
  const small = m.embed(images(2, 8));
  assert.deepEqual(small.shape, [2, 24]);
  assert.throws(() => m.embed(images(1, 10)), /images: expected \[batch, S, S, 3\] with S a multiple of 4/);
  tf.dispose([x, e, small]);
  m.dispose();
});

test("keeping every token, in any order, gives the class token of the unmasked forward; dropping some changes it", () => {
  const m = vit(SMALL);
  const x = images(2, 16);
  const perm = [0, ...new Rng(3).permutation(16).map((i) => i + 1)];
  const keepAll = tf.tensor2d(
    [perm, [...perm].reverse().sort((a, b) => (a === 0 ? -1 : b === 0 ? 1 : 0))],
    [2, 17],
    "int32",
  );
  const keepSome = tf.tensor2d([perm.slice(0, 12), perm.slice(0, 12)], [2, 12], "int32");
  const [full, all, some] = tf.tidy(() => [
    m.forward(x).dataSync(),
    m.forward(x, { keep: keepAll }).dataSync(),
    m.forward(x, { keep: keepSome }).dataSync(),
  ]);
  assertClose(all, full, 1e-5, "all tokens kept");
  assert.ok(Math.max(...full.map((v, i) => Math.abs(v - some[i]))) > 1e-3);
  tf.dispose([x, keepAll, keepSome]);
  m.dispose();
});

test("fingerprint: equal for equal weights, different after a change", () => {
  const a = vit(SMALL);
  const b = vit(SMALL);
  const c = vit({ ...SMALL, seed: 6 });
  assert.equal(a.fingerprint(), b.fingerprint());
  assert.notEqual(a.fingerprint(), c.fingerprint());
  tf.tidy(() => b.params.get("encoder.ln.bias").assign(tf.fill([24], 0.5)));
  assert.notEqual(a.fingerprint(), b.fingerprint());
  [a, b, c].forEach((m) => m.dispose());
});

test("saveEncoder / load round trip: same configuration, weights and embeddings", () => {
  const m = vit(SMALL);
  const file = path.join(dir, "enc.safetensors");
  saveEncoder(m, file);
  const back = load(file);
  assert.deepEqual(back.config, m.config);
  assert.equal(back.fingerprint(), m.fingerprint());
  m.dispose();
  back.dispose();
});

/** The weights of `m` under timm's vision_transformer names. */
function timmState(m: VisionTransformer): Map<string, TensorToWrite> {
  const rename: [RegExp, string][] = [
    [/^class_token$/, "cls_token"],
    [/^encoder\.pos_embedding$/, "pos_embed"],
    [/^conv_proj\./, "patch_embed.proj."],
    [/^encoder\.ln\./, "norm."],
    [/^encoder\.layers\.encoder_layer_(\d+)\.ln_1\./, "blocks.$1.norm1."],
    [/^encoder\.layers\.encoder_layer_(\d+)\.ln_2\./, "blocks.$1.norm2."],
    [/^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_(weight|bias)$/, "blocks.$1.attn.qkv.$2"],
    [/^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.out_proj\./, "blocks.$1.attn.proj."],
    [/^encoder\.layers\.encoder_layer_(\d+)\.mlp\.0\./, "blocks.$1.mlp.fc1."],
    [/^encoder\.layers\.encoder_layer_(\d+)\.mlp\.3\./, "blocks.$1.mlp.fc2."],
  ];
  const out = new Map<string, TensorToWrite>();
  for (const [name, t] of m.params.read())
    out.set(
      rename.reduce((n, [re, to]) => n.replace(re, to), name),
      t,
    );
  return out;
}

test("load reads timm and torchvision state dicts (and a checkpoint's target encoder) with the given heads", () => {
  const m = vit(SMALL);
  const x = images(2, 16);
  const want = tf.tidy(() => m.embed(x).dataSync());
  const timm = timmState(m);
  timm.set("head.weight", { shape: [10, 24], data: new Float32Array(240) });
  writeSafetensors(path.join(dir, "timm.safetensors"), timm);
  const fromTimm = load(path.join(dir, "timm.safetensors"), { heads: 3 });
  assertClose(
    tf.tidy(() => fromTimm.embed(x).dataSync()),
    want,
    1e-6,
    "timm weights",
  );
  // torchvision names under a checkpoint's prefixes, with an old-style MLP name and a classifier head.
  const ckpt = new Map<string, TensorToWrite>();
  for (const [n, t] of m.params.read()) {
    ckpt.set(`backbone.${n.replace(".mlp.0.", ".mlp.linear_1.")}`, t);
    ckpt.set(`anchor_backbone.${n}`, { shape: t.shape, data: new Float32Array(t.data.length) });
  }
  ckpt.set("backbone.heads.head.weight", { shape: [1000, 24], data: new Float32Array(24000) });
  writeSafetensors(path.join(dir, "ckpt.safetensors"), ckpt);
  const fromCkpt = load(path.join(dir, "ckpt.safetensors"), { heads: 3 });
  assertClose(
    tf.tidy(() => fromCkpt.embed(x).dataSync()),
    want,
    1e-6,
    "target encoder of a checkpoint",
  );
  // Without `heads` or saved metadata, heads default to dim / 64 (torchvision's and timm's convention).
  const guessed = load(path.join(dir, "timm.safetensors"));
  assert.equal(guessed.config.heads, 1);
  [m, fromTimm, fromCkpt, guessed].forEach((v) => v.dispose());
  x.dispose();
});

test("a 192-wide file without heads (ViT-Tiny: 3 in DeiT, 6 in the authors' code) is refused; with heads it loads", () => {
  const m = vit({ dim: 192, layers: 1, heads: 6, patch: 8, imageSize: 16, seed: 2 });
  const file = path.join(dir, "tiny-timm.safetensors");
  writeSafetensors(file, timmState(m));
  assert.throws(
    () => load(file),
    (e: unknown) =>
      e instanceof InputError &&
      /tiny-timm\.safetensors, heads: expected the number of attention heads .* for a 192-wide ViT, found none in the file/.test(
        e.message,
      ),
  );
  const six = load(file, { heads: 6 });
  assert.equal(six.config.heads, 6);
  const x = images(2, 16);
  assertClose(
    tf.tidy(() => six.embed(x).dataSync()),
    tf.tidy(() => m.embed(x).dataSync()),
    1e-6,
    "6-head weights",
  );
  // A file ehr-msn wrote says its heads: no option needed.
  saveEncoder(m, path.join(dir, "tiny-ours.safetensors"));
  const ours = load(path.join(dir, "tiny-ours.safetensors"));
  assert.equal(ours.config.heads, 6);
  [m, six, ours].forEach((v) => v.dispose());
  x.dispose();
});

test("load refuses unknown layouts, missing tensors and wrong shapes, naming them", () => {
  const m = vit(SMALL);
  const timm = timmState(m);
  timm.set("blocks.0.ls1.gamma", { shape: [24], data: new Float32Array(24) });
  writeSafetensors(path.join(dir, "ls.safetensors"), timm);
  assert.throws(() => load(path.join(dir, "ls.safetensors")), /LayerScale.*not supported|blocks\.0\.ls1\.gamma/);
  timm.delete("blocks.0.ls1.gamma");
  timm.delete("blocks.1.attn.qkv.bias");
  writeSafetensors(path.join(dir, "missing.safetensors"), timm);
  assert.throws(
    () => load(path.join(dir, "missing.safetensors"), { heads: 3 }),
    /encoder_layer_1\.self_attention\.in_proj_bias.*missing/,
  );
  timm.set("blocks.1.attn.qkv.bias", { shape: [72], data: new Float32Array(72) });
  timm.set("blocks.0.norm1.weight", { shape: [12], data: new Float32Array(12) });
  writeSafetensors(path.join(dir, "shape.safetensors"), timm);
  assert.throws(
    () => load(path.join(dir, "shape.safetensors"), { heads: 3 }),
    /encoder_layer_0\.ln_1\.weight: expected shape \[24\], found shape \[12\]/,
  );
  writeSafetensors(path.join(dir, "other.safetensors"), [["fc.weight", { shape: [2, 2], data: new Float32Array(4) }]]);
  assert.throws(() => load(path.join(dir, "other.safetensors")), /expected ViT weights with a class token/);
  m.dispose();
});
