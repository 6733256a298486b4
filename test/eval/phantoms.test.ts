/**
 * The end-to-end check: linear probes of a random encoder and of a briefly pretrained one on
 * phantom radiographs of the synthetic cohort, both reported. The cohort comes from the synthetic
 * population in memory (labels U-Zeros, as the authors), the images from the phantom writer through
 * the image cache, the pretraining from the training loop with MSN views of the same cache.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { describeChoice, probe } from "../../src/eval/probe";
import { buildCache } from "../../src/images/cache";
import { msnViews } from "../../src/images/views";
import type { ImageCache } from "../../src/images/types";
import { vit } from "../../src/model/vit";
import { phantomSpecs, population } from "../../src/synth/generate";
import { writePhantoms } from "../../src/synth/phantoms";
import { pretrainOnSource } from "../../src/train/pretrain";
import type { BatchSource } from "../../src/train/source";
import { CHEXPERT_LABELS } from "../../src/util/labels";
import { Rng } from "../../src/util/random";
import { memoryDataset } from "./support";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-phantoms-"));
/** A small ViT on 32 px crops of 36 px images, grey (1 channel). */
const VIT = { dim: 32, layers: 2, heads: 2, patch: 8, imageSize: 32, channels: 1 };
const view = { resize: 36, crop: 32, channels: 1 as const };

before(async () => {
  await backend.init({ quiet: true });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** MSN views of the cached training images, every value from (seed, epoch, index). */
function cacheSource(cache: ImageCache, indices: Int32Array, batchSize: number, seed: number): BatchSource {
  return {
    batchesPerEpoch: Math.floor(indices.length / batchSize),
    ehrFeatures: [],
    signature: `phantoms(${indices.length})`,
    batch(epoch, index) {
      const order = new Rng(seed).fork(`order:${epoch}`).permutation(indices.length);
      const ids = Array.from(order.subarray(index * batchSize, (index + 1) * batchSize), (k) => indices[k]);
      return msnViews(cache.getBatch(ids), new Rng(seed).fork(`views:${epoch}:${index}`), {
        randomSize: 32,
        focalSize: 16,
        focalViews: 2,
        channels: 1,
      });
    },
  };
}

test("probes of a random and a briefly pretrained ViT on phantom radiographs, both reported", async (t) => {
  const pop = population({ patients: 70, seed: 5, splitFractions: { validate: 0.2, test: 0.25 } });
  const specs = phantomSpecs(pop, path.join(tmp, "mimic-cxr"));
  await writePhantoms(specs, { longSide: 48, quiet: true });
  const rows = pop.images.map((im) => {
    const s = pop.studies[im.study];
    const p = pop.patients[s.patient];
    // U-Zeros: positive only when 1.0; blank and uncertain are 0 (the authors' mapping).
    return {
      dicom_id: im.dicomId,
      subject_id: String(p.subjectId),
      split: p.split,
      labels: s.labels.map((v) => (v === 1 ? 1 : 0)),
    };
  });
  const dataset = memoryDataset(rows, [...CHEXPERT_LABELS]);
  const cache = await buildCache({
    images: specs.map((s, i) => ({ id: s.dicomId, path: s.file, split: rows[i].split })),
    dir: path.join(tmp, "cache"),
    shortSide: 36,
    channels: 1,
    quiet: true,
  });
  const opts = { cohort: dataset, cache, view, n: 200, seed: 1, quiet: true };

  const random = vit({ ...VIT, seed: 3 });
  const r0 = await probe({ encoder: random, ...opts });

  const trainIdx = cache.indicesOf("train");
  const run = await pretrainOnSource(
    {
      ...VIT,
      focalSize: 16,
      focalViews: 2,
      numPrototypes: 32,
      projHidden: 64,
      projOut: 32,
      batchSize: 16,
      epochs: 2,
      lr: 1e-3,
      seed: 3,
    },
    cacheSource(cache, trainIdx, 16, 7),
    { quiet: true },
  );
  const r1 = await probe({ encoder: run.encoder, ...opts });

  const line = (name: string, r: typeof r0) =>
    `${name}: macro AUROC ${r.table().rows.at(-1)![1]}, AUPRC ${r.table().rows.at(-1)![2]} over ${r.perLabel.filter((l) => l.auroc).length} labels ` +
    `(${describeChoice(r.chosen)}, val AUROC ${r.chosen.valAuroc.toFixed(3)})`;
  t.diagnostic(line("random ViT", r0));
  t.diagnostic(
    line(
      `pretrained ViT (${run.steps} MSN steps, loss ${run.history.loss[0].toFixed(3)} -> ${run.history.loss.at(-1)!.toFixed(3)})`,
      r1,
    ),
  );

  for (const r of [r0, r1]) {
    assert.deepEqual(
      Object.values(r.rows).map((x) => x.missing),
      [0, 0, 0],
    );
    assert.equal(r.test.yTrue.values.length, rows.filter((x) => x.split === "test").length * 14);
    assert.ok(r.macro.auroc.lower <= r.macro.auroc.estimate && r.macro.auroc.estimate <= r.macro.auroc.upper);
    assert.ok(r.macro.auroc.estimate > 0 && r.macro.auroc.estimate < 1);
    assert.equal(r.runs.length, 5, "the authors' five runs");
  }
  // Pretraining moved the weights, so the two probes saw different embeddings.
  assert.notEqual(run.encoder.fingerprint(), random.fingerprint());
  assert.notDeepEqual(r0.embeddings.test.data, r1.embeddings.test.data);
  assert.ok(run.history.loss.every(Number.isFinite));
  random.dispose();
  run.model.dispose();
  cache.close();
});
