import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Study } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";
import { CHEXPERT_LABELS } from "../../src/util/labels";
import { tempDir } from "../support/tempDir";

/** A study small enough for a test: 80 synthetic patients, a 2-block ViT on 48 px views. */
function tiny(runsDir: string, name: string): Record<string, unknown> {
  return {
    name,
    runsDir,
    seed: 3,
    data: { synth: { patients: 80, imageLongSide: 128 } },
    cohort: { split: { validate: 0.2, test: 0.2, seed: 1 } },
    cacheShortSide: 40,
    pretrain: {
      vit: "tiny",
      dim: 48,
      layers: 2,
      heads: 3,
      imageSize: 48,
      focalSize: 32,
      batchSize: 16,
      epochs: 1,
      numPrototypes: 64,
    },
    models: [
      { name: "MSN", features: [] },
      { name: "MSN+demographics", features: "socio-norm" },
    ],
    probe: { maxEpochs: 5, bootstrap: 200 },
    tsne: { perplexity: 10, maxPoints: 300 },
  };
}

const runsDir = tempDir("study");

async function runStudy(name: string): Promise<{ study: Study; seconds: number; csv: string }> {
  const t0 = Date.now();
  const study = Study.open(tiny(runsDir, name));
  try {
    await study.run();
  } finally {
    await study.close();
  }
  return {
    study,
    seconds: (Date.now() - t0) / 1000,
    csv: fs.readFileSync(path.join(runsDir, name, "results.csv"), "utf8"),
  };
}

test("a study runs end to end into its run folder, and the same config and seed give the same results", async () => {
  const a = await runStudy("a");
  const dir = a.study.folder.dir;
  for (const f of [
    "config.json",
    "metrics.jsonl",
    "results.csv",
    "report.html",
    "cohort-report.json",
    "cohort-summary.json",
    "models/MSN/encoder.safetensors",
    "models/MSN/probe.json",
    "models/MSN+demographics/history.json",
  ]) {
    assert.ok(fs.existsSync(path.join(dir, f)), `${f} is in the run folder`);
  }
  const metrics = a.study.folder.metrics();
  const steps = metrics.filter((m) => m.stage === "pretrain" && m.model === "MSN");
  assert.ok(
    steps.length >= 10 && steps.every((m) => Number.isFinite(m.loss as number)),
    "one finite loss per pretraining step",
  );
  assert.equal(metrics.filter((m) => m.stage === "probe").length, 2);
  const epochs = metrics.filter((m) => m.stage === "pretrain-epoch" && m.model === "MSN");
  assert.equal(epochs.length, 1, "one line of diagnostics per pretraining epoch");
  assert.ok((epochs[0].embeddingRank as number) >= 1 && (epochs[0].sampleEntropy as number) > 0);
  assert.match(a.csv, /^Model,AUROC \(CI\),AUPRC \(CI\)\nMSN,"0\.\d{3} \(0\.\d{3}, 0\.\d{3}\)"/);

  const b = await runStudy("b");
  assert.equal(b.csv, a.csv, "a second run from scratch gives the same table");

  // Everything is cached: running again recomputes nothing and changes nothing.
  const again = await runStudy("a");
  assert.equal(again.csv, a.csv);
  assert.equal(again.study.folder.metrics().length, metrics.length, "no stage ran again");
});

/**
 * CheXpert- and NIH-shaped folders made of the study's own images: CheXpert's test split is the
 * cohort's test split (same images, same labels); NIH lists the cohort's test images as its test list.
 */
async function externalFolders(
  study: Study,
  root: string,
): Promise<{ chexpert: string; nih: string; testImages: number }> {
  const cohort = await study.cohort();
  const chexpert = path.join(root, "CheXpert-v1.0");
  const nih = path.join(root, "nih");
  fs.mkdirSync(path.join(nih, "images"), { recursive: true });
  const test = cohort.split("test").objects() as Record<string, unknown>[];
  const lines = [["Path", ...CHEXPERT_LABELS].join(",")];
  test.forEach((r, k) => {
    const rel = `test/patient${k}/study1/view1_frontal.jpg`;
    fs.mkdirSync(path.join(chexpert, path.dirname(rel)), { recursive: true });
    fs.copyFileSync(r.path as string, path.join(chexpert, rel));
    lines.push([`CheXpert-v1.0/${rel}`, ...CHEXPERT_LABELS.map((l) => (r[l] === 1 ? "1.0" : "0.0"))].join(","));
  });
  fs.writeFileSync(path.join(chexpert, "test.csv"), lines.join("\n") + "\n");
  const toNih: Record<string, string> = {
    Atelectasis: "Atelectasis",
    Cardiomegaly: "Cardiomegaly",
    Consolidation: "Consolidation",
    Edema: "Edema",
    "Pleural Effusion": "Effusion",
    Pneumonia: "Pneumonia",
    "Lung Lesion": "Mass",
  };
  const entries = ["Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position"];
  const lists: Record<string, string[]> = { test: [], trainVal: [] };
  (cohort.split("all").objects() as Record<string, unknown>[]).forEach((r, k) => {
    const name = `${String(k).padStart(8, "0")}_000.jpg`;
    fs.copyFileSync(r.path as string, path.join(nih, "images", name));
    const findings = Object.keys(toNih)
      .filter((l) => r[l] === 1)
      .map((l) => toNih[l]);
    entries.push(
      [name, findings.length ? findings.join("|") : "No Finding", 0, r.subject_id, r.age, r.sex, r.view].join(","),
    );
    (r.split === "test" ? lists.test : lists.trainVal).push(name);
  });
  fs.writeFileSync(path.join(nih, "Data_Entry_2017.csv"), entries.join("\n") + "\n");
  fs.writeFileSync(path.join(nih, "test_list.txt"), lists.test.join("\n") + "\n");
  fs.writeFileSync(path.join(nih, "train_val_list.txt"), lists.trainVal.join("\n") + "\n");
  return { chexpert, nih, testImages: test.length };
}

test("external validation: the MIMIC probe on CheXpert's test split, a probe trained on NIH-14, one table, cached", async () => {
  const plain = Study.open(tiny(runsDir, "a"));
  const folders = await externalFolders(plain, tempDir("external"));
  const mimic = await plain.probe("MSN");
  await plain.close();
  const study = Study.open({ ...tiny(runsDir, "a"), external: { chexpert: folders.chexpert, nih: folders.nih } });
  try {
    const table = (await study.externalTable())!;
    const chex = await study.external("MSN", "chexpert");
    // The same images, labels and head as the MIMIC test split: the same macro AUROC and AUPRC.
    assert.deepEqual([chex.images, chex.missing, chex.unmatched], [folders.testImages, 0, []]);
    assert.ok(
      Math.abs(chex.macro.auroc.estimate - mimic.macro.auroc.estimate) < 1e-6,
      `${chex.macro.auroc.estimate} vs ${mimic.macro.auroc.estimate}`,
    );
    assert.ok(Math.abs(chex.macro.auprc.estimate - mimic.macro.auprc.estimate) < 1e-6);
    const nih = await study.external("MSN+demographics", "nih");
    assert.equal(nih.images, folders.testImages);
    assert.deepEqual(nih.test.names.slice(0, 2), ["Atelectasis", "Cardiomegaly"]);
    assert.ok(nih.macro.auroc.estimate > 0 && nih.macro.auroc.estimate < 1);
    assert.deepEqual(
      table.cells.map((c) => `${c.model} ${c.group}`),
      ["MSN CheXpert", "MSN NIH-14", "MSN+demographics CheXpert", "MSN+demographics NIH-14"],
    );
    assert.match(
      fs.readFileSync(path.join(study.folder.dir, "external.csv"), "utf8"),
      /^Model,CheXpert AUROC \(CI\),CheXpert AUPRC \(CI\),NIH-14 AUROC \(CI\),NIH-14 AUPRC \(CI\)\n/,
    );
    assert.match(fs.readFileSync(await study.report(), "utf8"), /External validation[\s\S]*NIH-14 AUROC/);
  } finally {
    await study.close();
  }
  // Kept in the run folder: a new session recomputes nothing.
  const before = study.folder.metrics().length;
  const again = Study.open({ ...tiny(runsDir, "a"), external: { chexpert: folders.chexpert, nih: folders.nih } });
  try {
    await again.externalTable();
  } finally {
    await again.close();
  }
  assert.equal(again.folder.metrics().length, before);
});

test("the report carries no patient, study or image id", () => {
  const html = fs.readFileSync(path.join(runsDir, "a", "report.html"), "utf8");
  const meta = zlib
    .gunzipSync(
      fs.readFileSync(path.join(runsDir, "a", "data", "mimic-cxr-jpg", "2.0.0", "mimic-cxr-2.0.0-metadata.csv.gz")),
    )
    .toString();
  const rows = meta
    .trim()
    .split("\n")
    .slice(1, 60)
    .map((l) => l.split(","));
  for (const [dicom, subject, study] of rows) {
    for (const id of [dicom, subject, study]) assert.equal(html.includes(id), false, `id ${id} in report.html`);
  }
  assert.match(html, /Linear evaluation/);
  assert.match(html, /t-SNE of single-label samples/);
});

test("a run folder refuses a study whose pretraining differs, naming the field", () => {
  const changed = tiny(runsDir, "a");
  (changed.pretrain as Record<string, unknown>).epochs = 2;
  assert.throws(
    () => Study.open(changed),
    (e: unknown) =>
      e instanceof InputError &&
      /config\.json, pretrain: expected the settings of the study already in this run folder, found a different pretrain/.test(
        (e as Error).message,
      ),
  );
});
