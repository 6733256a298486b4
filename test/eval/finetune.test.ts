import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { finetune } from "../../src/eval/finetune";
import { splitRows } from "../../src/eval/dataset";
import { vit } from "../../src/model/vit";
import { brightHalves } from "./support";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-finetune-"));

/** Images already 16 x 16: the evaluation view is an exact crop; mild augmentation for training. */
const view = { resize: 16, crop: 16, channels: 1 as const, normalize: false as const };
const trainView = { degrees: 10, translate: [0.05, 0.05] as const, scale: [0.95, 1.05] as const };

before(async () => {
  await backend.init({ quiet: true });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("splitRows: rows matched to the cache by dicom_id, the missing one counted", (t) => {
  const { dataset, cache } = brightHalves(1, tmp);
  const warn = t.mock.method(console, "warn", () => undefined);
  const v = splitRows(dataset, "validate", cache);
  assert.deepEqual([v.rows, v.missing, v.indices.length], [24, 1, 23]);
  assert.match(
    String(warn.mock.calls[0].arguments[0]),
    /1 of 24 validate rows left out: their image is not in the cache/,
  );
  assert.equal(cache.id(v.indices[0]), "d1-40-1");
  assert.deepEqual(
    Array.from(v.labels.values.subarray(0, 2)),
    Array.from(dataset.labels("validate").values.subarray(2, 4)),
  );
});

test("fine-tuning on fractions of the training patients: learns, reports, leaves the encoder as it was", async () => {
  const { dataset, cache } = brightHalves(2, tmp);
  const encoder = vit({ dim: 16, layers: 1, heads: 2, imageSize: 16, patch: 4, channels: 1, seed: 3 });
  const print = encoder.fingerprint();
  const before = tf.memory().numTensors;
  const r = await finetune({
    encoder,
    cohort: dataset,
    cache,
    fractions: [0.25, 1],
    subsets: 2,
    batchSize: 8,
    maxEpochs: 8,
    n: 100,
    seed: 4,
    quiet: true,
    runs: [{ lr: 1e-2, scheduler: "cosine", earlyStopping: true }],
    view,
    trainView,
  });
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  assert.equal(encoder.fingerprint(), print, "the encoder given is unchanged");
  assert.deepEqual(
    r.fractions.map((f) => f.fraction),
    [0.25, 1],
  );
  // 25% of 40 training patients = 10 patients, 2 images each.
  assert.deepEqual(
    r.fractions[0].subsets.map((s) => [s.patients, s.images]),
    [
      [10, 20],
      [10, 20],
    ],
  );
  assert.deepEqual(
    r.fractions[1].subsets.map((s) => [s.patients, s.images]),
    [
      [40, 80],
      [40, 80],
    ],
  );
  for (const f of r.fractions) {
    const vals = f.subsets.map((s) => s.chosen.valAuroc);
    assert.equal(f.subsets[f.best].chosen.valAuroc, Math.max(...vals));
    assert.equal(f.report, f.subsets[f.best].report);
    assert.equal(f.report.test.yTrue.values.length, 30 * 2);
  }
  // Bright halves are easy: with all the patients, the fine-tuned ViT separates both labels.
  assert.ok(r.fractions[1].report.macro.auroc.estimate > 0.85, `${r.fractions[1].report.macro.auroc.estimate}`);
  const t = r.table();
  assert.deepEqual(
    t.rows.map((x) => x[0]),
    ["25%", "100%"],
  );
  assert.match(t.rows[1][1], /^0\.\d{3} \(0\.\d{3}, 0\.\d{3}\)$/);
  encoder.dispose();
});

test("fine-tuning input errors: a fraction out of range, an unknown patient column", async () => {
  const { dataset, cache } = brightHalves(3, tmp);
  const encoder = vit({ dim: 8, layers: 1, heads: 2, imageSize: 16, patch: 4, channels: 1 });
  await assert.rejects(
    finetune({ encoder, cohort: dataset, cache, fractions: [0], quiet: true }),
    /fractions\[0\]: expected a fraction of the training patients in \(0, 1\], found 0/,
  );
  await assert.rejects(
    finetune({ encoder, cohort: dataset, cache, patientColumn: "patient", quiet: true }),
    /patientColumn: expected a column of the dataset \(dicom_id, subject_id, split, path, Left, Top\), found "patient"/,
  );
  encoder.dispose();
});
