import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { finetuneWith, type Views } from "../../src/eval/finetune";
import { splitRows } from "../../src/eval/dataset";
import { vit } from "../../src/model/vit";
import { Rng } from "../../src/util/random";
import { memoryCache, memoryDataset, plainView } from "./support";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-finetune-"));
const NAMES = ["Left", "Top"];

/** 16 x 16 grey images: label "Left" brightens the left half, "Top" the top half. */
function world(seed: number) {
  const rng = new Rng(seed);
  const rows: { dicom_id: string; subject_id: string; split: string; labels: number[] }[] = [];
  const images: { id: string; split: string; image: { width: number; height: number; channels: 1; data: Uint8Array } }[] = [];
  const plan: [string, number][] = [["train", 40], ["validate", 12], ["test", 15]];
  let p = 0;
  for (const [split, patients] of plan) {
    for (let q = 0; q < patients; q++, p++) {
      for (let m = 0; m < 2; m++) {
        const labels = [rng.bernoulli(0.4) ? 1 : 0, rng.bernoulli(0.3) ? 1 : 0];
        const data = new Uint8Array(256);
        for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) data[y * 16 + x] = Math.min(255, 40 + rng.int(80) + (labels[0] && x < 8 ? 110 : 0) + (labels[1] && y < 8 ? 110 : 0));
        const id = `d${p}-${m}`;
        rows.push({ dicom_id: id, subject_id: `s${p}`, split, labels });
        images.push({ id, split, image: { width: 16, height: 16, channels: 1, data } });
      }
    }
  }
  // One validation image never made it into the cache: left out and counted.
  const missing = rows.find((r) => r.split === "validate")!.dicom_id;
  return { dataset: memoryDataset(rows, NAMES), cache: memoryCache(images.filter((x) => x.id !== missing), path.join(tmp, `c${seed}`)) };
}

const views: Views = {
  eval: plainView,
  evalKey: "plain",
  // The authors' flip, as the random training transform.
  train: (images, rng) => tf.tidy(() => {
    const x = plainView(images);
    return rng.bernoulli(0.5) ? (tf.reverse(x, 2) as tf.Tensor4D) : x;
  }),
};

before(async () => {
  await backend.init({ quiet: true });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("splitRows: rows matched to the cache by dicom_id, the missing one counted", (t) => {
  const { dataset, cache } = world(1);
  const warn = t.mock.method(console, "warn", () => undefined);
  const v = splitRows(dataset, "validate", cache);
  assert.deepEqual([v.rows, v.missing, v.indices.length], [24, 1, 23]);
  assert.match(String(warn.mock.calls[0].arguments[0]), /1 of 24 validate rows left out: their image is not in the cache/);
  assert.equal(cache.id(v.indices[0]), "d40-1");
  assert.deepEqual(Array.from(v.labels.values.subarray(0, 2)), Array.from(dataset.labels("validate").values.subarray(2, 4)));
});

test("fine-tuning on fractions of the training patients: learns, reports, leaves the encoder as it was", async () => {
  const { dataset, cache } = world(2);
  const encoder = vit({ dim: 16, layers: 1, heads: 2, imageSize: 16, patch: 4, channels: 1, seed: 3 });
  const print = encoder.fingerprint();
  const before = tf.memory().numTensors;
  const r = await finetuneWith({
    encoder, cohort: dataset, cache, fractions: [0.25, 1], subsets: 2, batchSize: 8, maxEpochs: 8, n: 100, seed: 4, quiet: true,
    runs: [{ lr: 1e-2, scheduler: "cosine", earlyStopping: true }],
  }, views);
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  assert.equal(encoder.fingerprint(), print, "the encoder given is unchanged");
  assert.deepEqual(r.fractions.map((f) => f.fraction), [0.25, 1]);
  // 25% of 40 training patients = 10 patients, 2 images each.
  assert.deepEqual(r.fractions[0].subsets.map((s) => [s.patients, s.images]), [[10, 20], [10, 20]]);
  assert.deepEqual(r.fractions[1].subsets.map((s) => [s.patients, s.images]), [[40, 80], [40, 80]]);
  for (const f of r.fractions) {
    const vals = f.subsets.map((s) => s.chosen.valAuroc);
    assert.equal(f.subsets[f.best].chosen.valAuroc, Math.max(...vals));
    assert.equal(f.report, f.subsets[f.best].report);
    assert.equal(f.report.test.yTrue.values.length, 30 * 2);
  }
  // Bright halves are easy: with all the patients, the fine-tuned ViT separates both labels.
  assert.ok(r.fractions[1].report.macro.auroc.estimate > 0.85, `${r.fractions[1].report.macro.auroc.estimate}`);
  const t = r.table();
  assert.deepEqual(t.rows.map((x) => x[0]), ["25%", "100%"]);
  assert.match(t.rows[1][1], /^0\.\d{3} \(0\.\d{3}, 0\.\d{3}\)$/);
  encoder.dispose();
});

test("fine-tuning input errors: a fraction out of range, an unknown patient column", async () => {
  const { dataset, cache } = world(3);
  const encoder = vit({ dim: 8, layers: 1, heads: 2, imageSize: 16, patch: 4, channels: 1 });
  await assert.rejects(finetuneWith({ encoder, cohort: dataset, cache, fractions: [0], quiet: true }, views), /fractions\[0\]: expected a fraction of the training patients in \(0, 1\], found 0/);
  await assert.rejects(finetuneWith({ encoder, cohort: dataset, cache, patientColumn: "patient", quiet: true }, views), /patientColumn: expected a column of the dataset \(dicom_id, subject_id, split, path, Left, Top\), found "patient"/);
  encoder.dispose();
});
