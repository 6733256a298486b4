/** MAE on the shared training loop: it lowers its loss, a resumed run equals an uninterrupted one, its options are checked. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as backend from "../../src/backend";
import { pretrainConfig } from "../../src/train/config";
import { pretrainOnSource } from "../../src/train/pretrain";
import { InputError } from "../../src/util/errors";
import { assertResumesExactly, syntheticSource, TINY } from "./support";
import { tempDir } from "../support/tempDir";

const MAE = { ...TINY, method: "mae" as const, maeDecoderDim: 16, maeDecoderLayers: 1, maeDecoderHeads: 2 };

before(async () => {
  await backend.init({ quiet: true });
});

test("MAE lowers its loss over a few hundred steps on a tiny config", async () => {
  const r = await pretrainOnSource({ ...MAE, epochs: 75, lr: 3e-3 }, syntheticSource(), { quiet: true });
  const loss = r.history.loss;
  assert.equal(loss.length, 300);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(loss.slice(0, 20));
  const last = mean(loss.slice(-20));
  console.log(`# MAE loss: first 20 steps ${first.toFixed(4)}, last 20 ${last.toFixed(4)}`);
  // Normalised pixels of noisy images: the floor is high. Predicting each patch's mean (zeros) scores
  // (n − 1)/n for n = 4·4·3 values (unbiased variance); the model must do better than that and fall by 10%.
  const trivial = 47 / 48;
  assert.ok(last < 0.9 * first, `the loss falls: ${first} -> ${last}`);
  assert.ok(last < trivial, `below the per-patch-mean predictor's ${trivial}: ${last}`);
  assert.equal(r.encoder, r.model.encoder, "the encoder used downstream is MAE's encoder");
  r.model.dispose();
});

test("MAE resumes exactly (encoder, decoder and AdamW state in the checkpoint); EHR features are refused", async () => {
  await assertResumesExactly(MAE, tempDir("mae-resume"));
  await assert.rejects(
    pretrainOnSource(MAE, syntheticSource({ ehrFeatures: ["a", "b"] }), { quiet: true }),
    (e: unknown) => e instanceof InputError && /ehrIn: expected 0: MAE fuses no EHR features, found 2/.test(e.message),
  );
});

test("MAE's options: defaults from MAE, bad values named", () => {
  const c = pretrainConfig({ method: "mae" });
  assert.deepEqual(
    [c.maeMaskRatio, c.maeDecoderDim, c.maeDecoderLayers, c.maeDecoderHeads, c.maeNormPixLoss],
    [0.75, 256, 4, 8, true],
  );
  const refused = (given: object, pattern: RegExp) =>
    assert.throws(
      () => pretrainConfig({ method: "mae", ...given }),
      (e: unknown) => e instanceof InputError && pattern.test(e.message),
    );
  refused({ maeMaskRatio: 1 }, /maeMaskRatio/);
  refused(
    { maeMaskRatio: 0.99, imageSize: 32, patch: 16, focalSize: 16 },
    /maeMaskRatio: expected a ratio that keeps at least one of the 4 patches/,
  );
  refused({ maeDecoderDim: 24, maeDecoderHeads: 5 }, /maeDecoderHeads/);
  refused({ maeDecoderDim: 18, maeDecoderHeads: 2 }, /maeDecoderDim: expected a multiple of 4/);
  refused({ maeNormPixLoss: "yes" }, /maeNormPixLoss/);
  refused({ method: "byol" }, /method/);
});
