/**
 * External validation sets with their own splits and labels: CheXpert (the 14 CheXpert labels, as
 * MIMIC-CXR) and NIH ChestX-ray14 (its own 14 findings), as tables of the same shape as the cohort.
 */
import * as fs from "fs";
import * as path from "path";
import * as aq from "arquero";
import { InputError } from "../util/errors";
import { CHEXPERT_LABELS, NIH_LABELS } from "../util/labels";
import { mapLabel } from "./labels";
import { Rng } from "../util/random";
import type { ChexpertOptions, LabelledDataset, NihOptions, SplitName } from "./types";
import { readCsv } from "./csv";
import { Reporter } from "./buildReport";
import { LabelledTable } from "./dataset";
import { existingFolder, keywordOption } from "./buildOptions";
import { checkNumber } from "../util/validate";

const CHEXPERT_FILES: [string[], SplitName][] = [
  [["train.csv"], "train"],
  [["valid.csv"], "validate"],
  [["test.csv", "test_labels.csv"], "test"],
];

/**
 * CheXpert from its folder (train.csv, valid.csv, test.csv or test_labels.csv; any that exist):
 * one row per image with `path`, `split`, the 14 labels (uncertain -1.0 per `uncertain`, blank = 0)
 * and, when the file has them, `sex`, `age` and `view` (AP, PA or LATERAL).
 */
export async function chexpert(opts: ChexpertOptions): Promise<LabelledDataset> {
  const dir = existingFolder("dir", opts?.dir);
  const uncertain = keywordOption("uncertain", opts.uncertain, ["zeros", "ones", "ignore"], "zeros");
  const rep = new Reporter();
  const parts = CHEXPERT_FILES.map(([names, split]) => ({
    file: names.map((n) => path.join(dir, n)).find((f) => fs.existsSync(f)),
    split,
  }));
  if (!parts.some((p) => p.file)) {
    throw new InputError({
      file: dir,
      expected: "CheXpert label files (train.csv, valid.csv, test.csv or test_labels.csv)",
      found: "none of them",
    });
  }
  const cols: Record<string, unknown[]> = {
    dicom_id: [],
    subject_id: [],
    study_id: [],
    split: [],
    path: [],
    ...Object.fromEntries(CHEXPERT_LABELS.map((l) => [l, []])),
    sex: [],
    age: [],
    view: [],
  };
  const seen = new Map<string, string>();
  for (const { file, split } of parts) {
    if (!file) continue;
    const header = firstLine(file);
    const optional = (name: string) => (header.includes(name) ? [{ name, kind: "string" as const }] : []);
    const t = await readCsv(file, [
      { name: "Path", kind: "string" },
      ...CHEXPERT_LABELS.map((name) => ({ name, kind: "label" as const })),
      ...optional("Sex"),
      ...optional("Age"),
      ...optional("Frontal/Lateral"),
      ...optional("AP/PA"),
    ]);
    rep.input(file, t.rows);
    t.strings.Path.forEach((p, r) => {
      if (p === "")
        throw new InputError({ file, row: r + 1, column: "Path", expected: "an image path", found: "an empty string" });
      const prev = seen.get(p);
      if (prev)
        throw new InputError({
          file,
          row: r + 1,
          column: "Path",
          expected: "a path not seen before",
          found: `the Path of ${prev}`,
        });
      seen.set(p, `${path.basename(file)} row ${r + 1}`);
      const rel = p.split("/");
      if (/^chexpert/i.test(rel[0])) rel.shift();
      cols.dicom_id.push(p);
      cols.subject_id.push(Number(/patient(\d+)/.exec(p)?.[1] ?? NaN));
      cols.study_id.push(Number(/study(\d+)/.exec(p)?.[1] ?? NaN));
      cols.split.push(split);
      cols.path.push(path.join(dir, ...rel));
      for (const l of CHEXPERT_LABELS) cols[l].push(mapLabel(t.numbers[l][r], uncertain));
      const sex = t.strings.Sex?.[r];
      cols.sex.push(sex === "Male" ? "M" : sex === "Female" ? "F" : "");
      cols.age.push(t.strings.Age ? Number(t.strings.Age[r]) : NaN);
      const frontal = t.strings["Frontal/Lateral"]?.[r];
      cols.view.push(frontal === "Lateral" ? "LATERAL" : (t.strings["AP/PA"]?.[r] ?? ""));
    });
    rep.note(`read ${path.basename(file)} as ${split}`, "images", t.rows, t.rows);
  }
  const table = aq.table(cols);
  return new LabelledTable(table, CHEXPERT_LABELS, rep.finish({ dir, uncertain }));
}

/**
 * NIH ChestX-ray14 from its folder (Data_Entry_2017.csv, train_val_list.txt, test_list.txt): `test`
 * from test_list, train_val split into `train` / `validate` by patient with the seed; the 14 findings
 * from `Finding Labels` ("No Finding" = all 0). Images listed in neither list are left out, counted.
 */
export async function nih(opts: NihOptions): Promise<LabelledDataset> {
  const dir = existingFolder("dir", opts?.dir);
  const validate = checkNumber(opts.validate ?? 0.1, "validate", { min: 0, max: 1, maxExclusive: true });
  const seed = opts.seed ?? 24;
  const images = path.resolve(opts.images ?? path.join(dir, "images"));
  const entry = ["Data_Entry_2017.csv", "Data_Entry_2017_v2020.csv"]
    .map((f) => path.join(dir, f))
    .find((f) => fs.existsSync(f));
  if (!entry)
    throw new InputError({
      file: dir,
      expected: "Data_Entry_2017.csv (or Data_Entry_2017_v2020.csv)",
      found: "neither",
    });
  const rep = new Reporter();
  const t = await readCsv(entry, [
    { name: "Image Index", kind: "string" },
    { name: "Finding Labels", kind: "string" },
    { name: "Patient ID", kind: "number" },
    { name: "Patient Age", kind: "number" },
    { name: "Patient Gender", kind: "string" },
    { name: "View Position", kind: "string" },
  ]);
  rep.input(entry, t.rows);
  const testList = readList(path.join(dir, "test_list.txt"), rep);
  const trainVal = readList(path.join(dir, "train_val_list.txt"), rep);
  const names = t.strings["Image Index"];
  const patient = t.numbers["Patient ID"];
  const index = new Map<string, number>();
  names.forEach((name, r) => {
    if (index.has(name))
      throw new InputError({
        file: entry,
        row: r + 1,
        column: "Image Index",
        expected: "an image name not seen before",
        found: `the Image Index of row ${index.get(name)! + 1}`,
      });
    index.set(name, r);
  });
  const unlisted = [...testList, ...trainVal].filter((n) => !index.has(n)).length;
  rep.note(
    "list entries",
    "list entries",
    testList.size + trainVal.size,
    testList.size + trainVal.size - unlisted,
    unlisted ? { "listed image without a Data_Entry row": unlisted } : {},
  );
  // train/validate by patient, as the authors' Irvin et al. split keeps patients apart.
  const tvPatients = [...new Set([...trainVal].filter((n) => index.has(n)).map((n) => patient[index.get(n)!]))].sort(
    (a, b) => a - b,
  );
  new Rng(seed).shuffle(tvPatients);
  const valPatients = new Set(tvPatients.slice(0, Math.round(validate * tvPatients.length)));
  const split = (r: number): SplitName | undefined =>
    testList.has(names[r])
      ? "test"
      : trainVal.has(names[r])
        ? valPatients.has(patient[r])
          ? "validate"
          : "train"
        : undefined;
  const rows = rep.filter(
    "split lists",
    Int32Array.from({ length: t.rows }, (_, i) => i),
    (r) => (split(r) ? undefined : "image in neither list"),
  );
  const labels = NIH_LABELS.map(() => new Float32Array(rows.length));
  const findings = t.strings["Finding Labels"];
  rows.forEach((r, k) => {
    for (const f of findings[r].split("|")) {
      if (f === "No Finding") continue;
      const j = (NIH_LABELS as readonly string[]).indexOf(f);
      if (j < 0)
        throw new InputError({
          file: entry,
          row: r + 1,
          column: "Finding Labels",
          expected: `findings among ${NIH_LABELS.join(", ")} or "No Finding", separated by |`,
          found: JSON.stringify(f),
        });
      labels[j][k] = 1;
    }
  });
  const table = aq.table({
    dicom_id: Array.from(rows, (r) => names[r]),
    subject_id: Float64Array.from(rows, (r) => patient[r]),
    split: Array.from(rows, (r) => split(r)),
    path: Array.from(rows, (r) => path.join(images, names[r])),
    ...Object.fromEntries(NIH_LABELS.map((l, j) => [l, labels[j]])),
    age: Float64Array.from(rows, (r) => t.numbers["Patient Age"][r]),
    sex: Array.from(rows, (r) => t.strings["Patient Gender"][r]),
    view: Array.from(rows, (r) => t.strings["View Position"][r]),
  });
  return new LabelledTable(table, NIH_LABELS, rep.finish({ dir, images, validate, seed }));
}

function firstLine(file: string): string[] {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf
      .toString("utf8", 0, n)
      .split(/\r?\n/)[0]
      .split(",")
      .map((s) => s.replace(/^"|"$/g, ""));
  } finally {
    fs.closeSync(fd);
  }
}

function readList(file: string, rep: Reporter): Set<string> {
  if (!fs.existsSync(file))
    throw new InputError({ file, expected: "the NIH split list (one image name per line)", found: "no such file" });
  const names = fs
    .readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  rep.input(file, names.length);
  return new Set(names);
}
