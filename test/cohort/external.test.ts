/** The external validation sets, from hand-made files in their real formats. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { chexpert, nih } from "../../src/cohort";
import { CHEXPERT_LABELS, IGNORE_LABEL, NIH_LABELS } from "../../src/util/labels";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

const tmp = () => tempDir("ext");
const labelCells = (values: Record<string, string>) => CHEXPERT_LABELS.map((l) => values[l] ?? "").join(",");

function writeChexpert(dir: string): void {
  const head = `Path,Sex,Age,Frontal/Lateral,AP/PA,${CHEXPERT_LABELS.join(",")}`;
  fs.writeFileSync(
    path.join(dir, "train.csv"),
    [
      head,
      `CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg,Female,68,Frontal,AP,${labelCells({ "No Finding": "1.0", "Support Devices": "1.0" })}`,
      `CheXpert-v1.0-small/train/patient00002/study2/view1_frontal.jpg,Male,87,Frontal,PA,${labelCells({ Cardiomegaly: "-1.0", Edema: "0.0", "Lung Opacity": "1.0" })}`,
      `CheXpert-v1.0-small/train/patient00002/study2/view2_lateral.jpg,Male,87,Lateral,,${labelCells({ Cardiomegaly: "-1.0" })}`,
    ].join("\n") + "\n",
  );
  fs.writeFileSync(
    path.join(dir, "valid.csv"),
    [
      head,
      `CheXpert-v1.0-small/valid/patient64541/study1/view1_frontal.jpg,Male,73,Frontal,AP,${labelCells({ Atelectasis: "1.0" })}`,
    ].join("\n") + "\n",
  );
  fs.writeFileSync(
    path.join(dir, "test_labels.csv"),
    [
      `Path,${CHEXPERT_LABELS.join(",")}`,
      `test/patient64741/study1/view1_frontal.jpg,${CHEXPERT_LABELS.map((l) => (l === "Pneumothorax" ? "1" : "0")).join(",")}`,
    ].join("\n") + "\n",
  );
}

test("CheXpert: splits from its files, the 14 labels under each policy, paths under the folder", async () => {
  const dir = tmp();
  writeChexpert(dir);
  const d = await chexpert({ dir, uncertain: "ignore" });
  assert.deepEqual(d.table.array("split"), ["train", "train", "train", "validate", "test"]);
  assert.equal(d.table.get("path", 0), path.join(dir, "train", "patient00001", "study1", "view1_frontal.jpg"));
  assert.equal(d.table.get("path", 4), path.join(dir, "test", "patient64741", "study1", "view1_frontal.jpg"));
  assert.deepEqual(
    [
      d.table.get("sex", 0),
      d.table.get("age", 1),
      d.table.get("view", 1),
      d.table.get("view", 2),
      d.table.get("subject_id", 3),
    ],
    ["F", 87, "PA", "LATERAL", 64541],
  );
  const train = d.labels("train");
  const at = (row: number, label: string) => train.values[row * 14 + CHEXPERT_LABELS.indexOf(label as never)];
  assert.deepEqual(
    [
      at(0, "No Finding"),
      at(0, "Support Devices"),
      at(1, "Cardiomegaly"),
      at(1, "Edema"),
      at(1, "Lung Opacity"),
      at(1, "Fracture"),
    ],
    [1, 1, IGNORE_LABEL, 0, 1, 0],
  );
  assert.deepEqual(
    Array.from(d.labels("test").values),
    CHEXPERT_LABELS.map((l) => (l === "Pneumothorax" ? 1 : 0)),
  );
  const zeros = await chexpert({ dir });
  assert.equal(zeros.labels("train").values[14 + CHEXPERT_LABELS.indexOf("Cardiomegaly")], 0);
  assert.deepEqual(
    d.report.inputs.map((f) => [path.basename(f.file), f.rows]),
    [
      ["train.csv", 3],
      ["valid.csv", 1],
      ["test_labels.csv", 1],
    ],
  );
});

test("CheXpert: a folder without label files, or a repeated path, is an InputError", async () => {
  await assert.rejects(
    chexpert({ dir: tmp() }),
    /expected CheXpert label files \(train\.csv, valid\.csv, test\.csv or test_labels\.csv\), found none of them/,
  );
  const dir = tmp();
  writeChexpert(dir);
  fs.appendFileSync(
    path.join(dir, "train.csv"),
    `CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg,Female,68,Frontal,AP,${labelCells({})}\n`,
  );
  await assert.rejects(
    chexpert({ dir }),
    (e: unknown) =>
      e instanceof InputError &&
      /train\.csv, row 4, column "Path": expected a path not seen before, found the Path of train\.csv row 1\.$/.test(
        e.message,
      ),
  );
});

function writeNih(dir: string, findings = "Effusion|Pneumothorax"): void {
  fs.writeFileSync(
    path.join(dir, "Data_Entry_2017.csv"),
    [
      "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],",
      "00000001_000.png,Cardiomegaly,0,1,58,M,PA,2682,2749,0.143,0.143,",
      `00000001_001.png,${findings},1,1,58,M,PA,2894,2729,0.143,0.143,`,
      "00000002_000.png,No Finding,0,2,81,M,PA,2500,2048,0.168,0.168,",
      "00000003_000.png,Hernia,0,3,74,F,AP,2500,2048,0.168,0.168,",
      "00000004_000.png,Mass|Nodule,0,4,30,F,PA,2500,2048,0.168,0.168,",
      "00000005_000.png,No Finding,0,5,40,F,PA,2500,2048,0.168,0.168,",
    ].join("\n") + "\n",
  );
  fs.writeFileSync(
    path.join(dir, "train_val_list.txt"),
    "00000001_000.png\n00000001_001.png\n00000002_000.png\n00000004_000.png\n",
  );
  fs.writeFileSync(path.join(dir, "test_list.txt"), "00000003_000.png\n00000009_000.png\n");
}

test("NIH-14: test from its list, train/validate by patient, findings as 14 labels, unlisted images counted", async () => {
  const dir = tmp();
  writeNih(dir);
  const d = await nih({ dir, validate: 0.34, seed: 1 });
  assert.equal(d.table.numRows(), 5);
  assert.deepEqual(d.report.dropped, { "image in neither list": 1 });
  assert.deepEqual(d.report.steps.find((s) => s.step === "list entries")!.dropped, {
    "listed image without a Data_Entry row": 1,
  });
  const splits = d.table.array("split") as string[];
  assert.equal(splits[3], "test");
  assert.equal(splits[0], splits[1]); // the same patient stays in one split
  assert.equal(new Set(d.split("validate").array("subject_id") as Float64Array).size, 1); // round(0.34 * 3 patients) = 1
  const all = [...d.labels("train").values, ...d.labels("validate").values];
  assert.equal(all.length, 4 * 14);
  assert.deepEqual(
    NIH_LABELS.map((l) => d.table.get(l, 1)),
    NIH_LABELS.map((l) => (l === "Effusion" || l === "Pneumothorax" ? 1 : 0)),
  );
  assert.deepEqual(
    NIH_LABELS.map((l) => d.table.get(l, 2)),
    NIH_LABELS.map(() => 0),
  ); // No Finding
  assert.equal(d.table.get("path", 0), path.join(dir, "images", "00000001_000.png"));
  assert.deepEqual([d.table.get("age", 3), d.table.get("sex", 3), d.table.get("view", 3)], [74, "F", "AP"]);
});

test("NIH-14: an unknown finding is an InputError naming the row", async () => {
  const dir = tmp();
  writeNih(dir, "Effusion|Tumour");
  await assert.rejects(
    nih({ dir }),
    /Data_Entry_2017\.csv, row 2, column "Finding Labels": expected findings among Atelectasis, .* found "Tumour"/,
  );
});
