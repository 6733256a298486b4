import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { probe } from "../../src/eval/probe";
import { externalValidation } from "../../src/eval/external";
import { evaluate } from "../../src/eval/metrics";
import { brightHalves, projectionEncoder } from "./support";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-probe-"));
/** The images are 16 x 16 already: the evaluation view is an exact crop, scaled to [0, 1]. */
const view = { resize: 16, crop: 16, channels: 1 as const, normalize: false as const };
const runs = [{ lr: 3e-2, scheduler: "cosine" as const, earlyStopping: true }];

before(async () => {
  await backend.init({ quiet: true });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("probe({ encoder, cohort, cache }): embeds each split once, kept on disk, and probes", async () => {
  const { dataset, cache } = brightHalves(7, tmp);
  const encoder = projectionEncoder({ imageSize: 16, channels: 1, dim: 24, seed: 1 });
  const before = tf.memory().numTensors;
  const r = await probe({
    encoder,
    cohort: dataset,
    cache,
    view,
    runs,
    maxEpochs: 15,
    batchSize: 16,
    n: 200,
    seed: 1,
    quiet: true,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(r.rows, {
    train: { rows: 80, missing: 0 },
    validate: { rows: 24, missing: 1 },
    test: { rows: 30, missing: 0 },
  });
  assert.deepEqual(
    [r.embeddings.train.n, r.embeddings.validate.n, r.embeddings.test.n, r.embeddings.test.dims],
    [80, 23, 30, 24],
  );
  // Bright halves are linearly visible in average-pooled pixels.
  assert.ok(r.macro.auroc.estimate > 0.85, `${r.macro.auroc.estimate}`);
  assert.equal(fs.readdirSync(path.join(cache.dir, "embeddings")).filter((f) => f.endsWith(".f32")).length, 3);
  // A second probe of the same encoder reads the three files instead of embedding again.
  const calls = encoder.calls;
  const again = await probe({
    encoder,
    cohort: dataset,
    cache,
    view,
    runs,
    maxEpochs: 15,
    batchSize: 16,
    n: 200,
    seed: 1,
    quiet: true,
  });
  assert.equal(encoder.calls, calls);
  assert.deepEqual(again.macro, r.macro);
  encoder.dispose();
});

test("probe with the authors' augmentation embeds augmented training images every epoch", async () => {
  const { dataset, cache } = brightHalves(8, tmp);
  const encoder = projectionEncoder({ imageSize: 16, channels: 1, dim: 24, seed: 2 });
  const r = await probe({
    encoder,
    cohort: dataset,
    cache,
    view,
    runs,
    maxEpochs: 3,
    patience: 5,
    batchSize: 16,
    embedBatchSize: 40,
    n: 50,
    quiet: true,
    augment: { degrees: 10, translate: [0.05, 0.05], scale: [0.95, 1.05] },
  });
  // 3 splits embedded once (2 + 1 + 1 batches of 40), then 80 training images (2 batches) in each of 3 epochs.
  assert.equal(encoder.calls, 4 + 3 * 2);
  assert.equal(r.runs[0].epochs, 3);
  assert.ok(r.macro.auroc.estimate > 0.7, `${r.macro.auroc.estimate}`);
  encoder.dispose();
});

test("externalValidation: the MIMIC-trained head applied to another dataset, labels matched by name", async (t) => {
  const { dataset, cache } = brightHalves(9, tmp);
  const encoder = projectionEncoder({ imageSize: 16, channels: 1, dim: 24, seed: 3 });
  const trained = await probe({
    encoder,
    cohort: dataset,
    cache,
    view,
    runs,
    maxEpochs: 15,
    batchSize: 16,
    n: 100,
    quiet: true,
  });
  // An external dataset whose columns are named the other way round: matching goes by name, not position.
  const ext = brightHalves(10, tmp, ["Top", "Left"]);
  const warn = t.mock.method(console, "warn", () => undefined);
  const r = await externalValidation({
    head: trained.head,
    encoder,
    dataset: ext.dataset,
    cache: ext.cache,
    view,
    n: 100,
    seed: 2,
  });
  assert.deepEqual(r.labels, ["Left", "Top"]);
  assert.deepEqual(r.unmatched, []);
  assert.deepEqual([r.rows, r.missing], [30, 0]);
  // Its "Top" column holds the left-half finding, which the head's "Top" scores (top half) do not predict.
  assert.ok(r.macro.auroc.estimate < 0.7, `${r.macro.auroc.estimate}`);
  assert.equal(r.macro.auroc.estimate, evaluate(r.test.yTrue, r.test.yScore, { quiet: true }).macroAuroc);
  // Same label names as the head: transfer works.
  const same = brightHalves(11, tmp);
  const ok = await externalValidation({
    head: trained.head,
    encoder,
    dataset: same.dataset,
    cache: same.cache,
    view,
    n: 100,
    seed: 2,
  });
  assert.ok(ok.macro.auroc.estimate > 0.85, `${ok.macro.auroc.estimate}`);
  // A head label the dataset lacks is left out, and said so.
  const partial = brightHalves(12, tmp, ["Left", "Fracture"]);
  const p = await externalValidation({
    head: trained.head,
    encoder,
    dataset: partial.dataset,
    cache: partial.cache,
    view,
    n: 50,
  });
  assert.deepEqual([p.labels, p.unmatched], [["Left"], ["Top"]]);
  assert.ok(
    warn.mock.calls.some((c) =>
      /1 label\(s\) of the head are not in the dataset and are left out: Top/.test(String(c.arguments[0])),
    ),
  );
  const none = brightHalves(13, tmp, ["Mass", "Nodule"]);
  await assert.rejects(
    externalValidation({ head: trained.head, encoder, dataset: none.dataset, cache: none.cache, view }),
    /dataset: expected labels of the head \(Left, Top\), found none of them \(Mass, Nodule\)/,
  );
  encoder.dispose();
});
