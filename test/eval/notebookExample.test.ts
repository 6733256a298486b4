/**
 * The design's notebook example as written, on phantoms: generate -> cohort -> pretrain -> probe ->
 * table, with no image cache built by hand (pretrain and probe each build theirs).
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { build } from "../../src/cohort/build";
import { probe } from "../../src/eval/probe";
import { generate } from "../../src/synth";
import { pretrain } from "../../src/train/pretrain";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-example-"));
const savedTmpdir = process.env.TMPDIR;

before(async () => {
  await backend.init({ quiet: true });
  // The caches go under the system's temporary folder when no folder is given: keep them in ours.
  process.env.TMPDIR = tmp;
});
after(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("synth.generate -> cohort.build -> pretrain -> probe({ encoder, cohort }) -> r.table(), no cache given", async () => {
  const data = await generate({
    dir: path.join(tmp, "synth"),
    patients: 80,
    images: true,
    imageLongSide: 44,
    seed: 3,
    quiet: true,
  });
  const c = await build({ mimicCxr: data.mimicCxr, mimicIv: data.mimicIv, quiet: true });
  const tiny = { dim: 16, layers: 1, heads: 2, patch: 8, imageSize: 32, focalSize: 16, focalViews: 1 };
  const run = await pretrain({
    cohort: c,
    features: ["age_norm", "sex"],
    ...tiny,
    numPrototypes: 8,
    batchSize: 8,
    epochs: 1,
    cacheShortSide: 36,
    quiet: true,
  });
  const r = await probe({ encoder: run.encoder, cohort: c, maxEpochs: 2, n: 20, quiet: true });
  const t = r.table();
  assert.deepEqual(t.columns, ["Label", "AUROC (CI)", "AUPRC (CI)", "Positives"]);
  assert.equal(t.rows.length, 15, "14 labels and the macro row");
  assert.equal(t.rows[14][0], "Macro");
  assert.equal(r.rows.test.rows + r.rows.validate.rows + r.rows.train.rows, c.split("all").numRows());
  assert.equal(r.rows.test.missing + r.rows.validate.missing + r.rows.train.missing, 0);
  assert.ok(r.macro.auroc.estimate >= 0 && r.macro.auroc.estimate <= 1, `macro AUROC ${r.macro.auroc.estimate}`);
  // One cache per set of images under the temporary folder: the pretraining split's and every split's.
  assert.equal(fs.readdirSync(path.join(tmp, "ehr-msn")).filter((f) => f.startsWith("image-cache-")).length, 2);
  run.model.dispose();
});
