import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Study } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";

/** A study small enough for a test: 80 synthetic patients, a 2-block ViT on 48 px views. */
function tiny(runsDir: string, name: string): Record<string, unknown> {
  return {
    name, runsDir, seed: 3,
    data: { synth: { patients: 80, imageLongSide: 128 } },
    cohort: { split: { validate: 0.2, test: 0.2, seed: 1 } },
    cacheShortSide: 40,
    pretrain: { vit: "tiny", dim: 48, layers: 2, heads: 3, imageSize: 48, focalSize: 32, batchSize: 16, epochs: 1, numPrototypes: 64 },
    models: [{ name: "MSN", features: [] }, { name: "MSN+demographics", features: "socio-norm" }],
    probe: { maxEpochs: 5, bootstrap: 200 },
    tsne: { perplexity: 10, maxPoints: 300 },
  };
}

const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-study-"));

async function runStudy(name: string): Promise<{ study: Study; seconds: number; csv: string }> {
  const t0 = Date.now();
  const study = Study.open(tiny(runsDir, name));
  try {
    await study.run();
  } finally {
    await study.close();
  }
  return { study, seconds: (Date.now() - t0) / 1000, csv: fs.readFileSync(path.join(runsDir, name, "results.csv"), "utf8") };
}

test("a study runs end to end into its run folder, and the same config and seed give the same results", async () => {
  const a = await runStudy("a");
  const dir = a.study.folder.dir;
  for (const f of ["config.json", "metrics.jsonl", "results.csv", "report.html", "cohort-report.json", "cohort-summary.json",
    "models/MSN/encoder.safetensors", "models/MSN/probe.json", "models/MSN+demographics/history.json"]) {
    assert.ok(fs.existsSync(path.join(dir, f)), `${f} is in the run folder`);
  }
  const metrics = a.study.folder.metrics();
  const steps = metrics.filter((m) => m.stage === "pretrain" && m.model === "MSN");
  assert.ok(steps.length >= 10 && steps.every((m) => Number.isFinite(m.loss as number)), "one finite loss per pretraining step");
  assert.equal(metrics.filter((m) => m.stage === "probe").length, 2);
  assert.match(a.csv, /^Model,AUROC \(CI\),AUPRC \(CI\)\nMSN,"0\.\d{3} \(0\.\d{3}, 0\.\d{3}\)"/);

  const b = await runStudy("b");
  assert.equal(b.csv, a.csv, "a second run from scratch gives the same table");

  // Everything is cached: running again recomputes nothing and changes nothing.
  const again = await runStudy("a");
  assert.equal(again.csv, a.csv);
  assert.equal(again.study.folder.metrics().length, metrics.length, "no stage ran again");
});

test("the report carries no patient, study or image id", () => {
  const html = fs.readFileSync(path.join(runsDir, "a", "report.html"), "utf8");
  const meta = zlib.gunzipSync(fs.readFileSync(path.join(runsDir, "a", "data", "mimic-cxr-jpg", "2.0.0", "mimic-cxr-2.0.0-metadata.csv.gz"))).toString();
  const rows = meta.trim().split("\n").slice(1, 60).map((l) => l.split(","));
  for (const [dicom, subject, study] of rows) {
    for (const id of [dicom, subject, study]) assert.equal(html.includes(id), false, `id ${id} in report.html`);
  }
  assert.match(html, /Linear evaluation/);
  assert.match(html, /t-SNE of single-label samples/);
});

test("a run folder refuses a study whose pretraining differs, naming the field", () => {
  const changed = tiny(runsDir, "a");
  (changed.pretrain as Record<string, unknown>).epochs = 2;
  assert.throws(() => Study.open(changed), (e: unknown) => e instanceof InputError && /config\.json, pretrain: expected the settings of the study already in this run folder, found a different pretrain/.test((e as Error).message));
});
