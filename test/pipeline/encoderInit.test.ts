/** Study models whose encoder is not pretrained by the study: `init: "random"` and `init: { weights }`. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { load, saveEncoder } from "../../src/model/load";
import { VisionTransformer } from "../../src/model/vit";
import { DEMO_CONFIG, RANDOM_MODEL, studyConfig } from "../../src/pipeline";
import { writeInitialEncoder } from "../../src/pipeline/encoderInit";
import { pretrainConfig } from "../../src/train/config";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

const GEOMETRY = { dim: 16, layers: 1, heads: 2, patch: 8, imageSize: 32, focalSize: 16 };

before(async () => {
  await backend.init({ quiet: true });
});

test("init models in a study config: features default to [], a fused feature or a missing weight file is refused", () => {
  const dir = tempDir("init-config");
  const weights = path.join(dir, "vit.safetensors");
  const vit = new VisionTransformer({ ...GEOMETRY, seed: 1 });
  saveEncoder(vit, weights);
  vit.dispose();
  const c = studyConfig({
    models: [
      { name: "MSN", features: [] },
      { name: "Random", init: "random" },
      { name: "ImageNet", init: { weights } },
    ],
  });
  assert.deepEqual(
    c.models.map((m) => [m.name, m.features, m.init]),
    [
      ["MSN", [], undefined],
      ["Random", [], "random"],
      ["ImageNet", [], { weights }],
    ],
  );
  const bad = (models: unknown[], pattern: RegExp) =>
    assert.throws(
      () => studyConfig({ models }, "study.yaml"),
      (e: unknown) => e instanceof InputError && pattern.test(e.message),
    );
  bad(
    [{ name: "R", init: "random", features: "sex" }],
    /models\[0\]\.features: expected \[\] \(only an encoder the study pretrains/,
  );
  bad(
    [{ name: "W", init: { weights: path.join(dir, "none.safetensors") } }],
    /models\[0\]\.init\.weights: expected an existing ViT weight file/,
  );
  bad([{ name: "W", init: { weights, head: 3 } }], /models\[0\]\.init\.head/);
  bad([{ name: "W", init: "imagenet" }], /models\[0\]\.init: expected "pretrain", "random" or \{ weights/);
  assert.deepEqual(
    (DEMO_CONFIG.models ?? []).map((m) => m.name),
    ["MSN", "MSN+demographics", "Random"],
    "the demo has the untrained encoder's row",
  );
  assert.equal(RANDOM_MODEL.init, "random");
});

test("writeInitialEncoder: a random encoder of the study's geometry, from its seed; a weight file as read", () => {
  const dir = tempDir("init-encoder");
  const settings = (seed: number) => pretrainConfig({ ...GEOMETRY, seed });
  const write = (seed: number, name: string) => {
    const file = path.join(dir, name);
    writeInitialEncoder("random", settings(seed), file);
    return load(file);
  };
  const [a, again, other] = [write(1, "a.safetensors"), write(1, "b.safetensors"), write(2, "c.safetensors")];
  assert.deepEqual(
    [a.config.dim, a.config.layers, a.config.heads, a.config.imageSize, a.config.patch],
    [16, 1, 2, 32, 8],
  );
  assert.equal(a.fingerprint(), again.fingerprint(), "the same seed gives the same weights");
  assert.notEqual(a.fingerprint(), other.fingerprint(), "another seed gives other weights");
  const copy = path.join(dir, "copy.safetensors");
  writeInitialEncoder({ weights: path.join(dir, "c.safetensors") }, settings(1), copy);
  const read = load(copy);
  assert.equal(read.fingerprint(), other.fingerprint(), "weights read from the file, not the seed");
  [a, again, other, read].forEach((v) => v.dispose());
});
