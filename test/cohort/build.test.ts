/**
 * cohort.build on the hand-made tables of handmade.ts, every value worked out by hand.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { build } from "../../src/cohort";
import { InputError } from "../../src/util/errors";
import type { CohortOptions } from "../../src/cohort";
import { CHEXPERT_LABELS, IGNORE_LABEL } from "../../src/util/labels";
import { ADMISSIONS, chexpertRows, HADM, METADATA, PATIENTS, writeHandmade } from "./handmade";

const dirs = writeHandmade();
const opts = (o: Partial<CohortOptions> = {}): CohortOptions => ({ ...dirs, quiet: true, impute: "mode", ...o });

/** The cohort's rows as objects keyed by dicom_id. */
async function rows(o: Partial<CohortOptions> = {}) {
  const c = await build(opts(o));
  return {
    c,
    by: Object.fromEntries((c.table.objects() as Record<string, unknown>[]).map((r) => [r.dicom_id as string, r])),
  };
}

test("rows left out, by reason, step by step", async () => {
  const { c } = await rows();
  assert.deepEqual(c.table.array("dicom_id"), ["d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08", "d09", "d14"]);
  assert.deepEqual(c.report.dropped, {
    "missing gender": 1,
    "subject not in MIMIC-IV patients": 1,
    "view code outside PA, AP, LATERAL, LL (XTABLE LATERAL)": 1,
    "study without a CheXpert label row": 1,
    "image not in the split file": 1,
  });
  const steps = Object.fromEntries(c.report.steps.map((s) => [s.step, [s.rowsIn, s.rowsOut]]));
  assert.deepEqual(steps.patients, [15, 13]);
  assert.deepEqual(steps["view and position codes"], [13, 12]);
  assert.deepEqual(steps.labels, [12, 11]);
  assert.deepEqual(steps.split, [11, 10]);
  const adm = c.report.steps.find((s) => s.step === "usable admissions")!;
  assert.deepEqual(
    [adm.table, adm.rowsIn, adm.rowsOut, adm.dropped],
    ["admissions", 5, 4, { "dischtime before admittime": 1 }],
  );
  assert.deepEqual(c.report.imputed, { view: 1, position: 1 });
  assert.match(c.report.text(), /left out, missing gender: 1/);
});

test("age, sex, split and path of each image", async () => {
  const { by } = await rows();
  assert.deepEqual([by.d01.age, by.d06.age, by.d07.age, by.d14.age], [50, 51, 70, 20]);
  assert.deepEqual([by.d01.sex, by.d07.sex, by.d14.sex], ["M", "F", "F"]);
  assert.deepEqual([by.d01.split, by.d07.split, by.d14.split], ["train", "test", "validate"]);
  assert.equal(by.d01.path, path.join(dirs.mimicCxr, "files", "p10", "p10000001", "s50000001", "d01.jpg"));
  assert.equal(by.d01.study_date, 21500310);
});

test("stays matched by date (default): admission day, ICU out-time and out day, discharge day, overlaps", async () => {
  const { by } = await rows();
  const got = (d: string) => [by[d].hadm_id, by[d].icu, by[d].mortality];
  assert.deepEqual(got("d01"), [HADM.a1, 0, 0]); // admission day before admittime counts
  assert.deepEqual(got("d03"), [HADM.a1, 1, 0]); // at the ICU out-time
  assert.deepEqual(got("d04"), [HADM.a1, 1, 0]); // later on the ICU out day
  assert.deepEqual(got("d05"), [HADM.a2, 0, 1]); // discharge day after dischtime: the admission that ended in death
  assert.deepEqual(got("d06"), [null, 0, 0]); // no admission
  assert.deepEqual(got("d07"), [HADM.b2, 0, 1]); // both overlapping admissions hold it: the later one
  assert.deepEqual(got("d08"), [HADM.b1, 0, 0]); // both hold the day, only b1 the time
  assert.deepEqual(got("d09"), [HADM.b2, 1, 1]);
  assert.deepEqual(got("d14"), [null, 0, 0]); // its admission ends before it begins: unusable
});

test("stays matched by datetime", async () => {
  const { by } = await rows({ stayMatch: "datetime" });
  const got = (d: string) => [by[d].hadm_id, by[d].icu, by[d].mortality];
  assert.deepEqual(got("d01"), [null, 0, 0]);
  assert.deepEqual(got("d03"), [HADM.a1, 1, 0]); // the out-time itself is inside
  assert.deepEqual(got("d04"), [HADM.a1, 0, 0]);
  assert.deepEqual(got("d05"), [null, 0, 0]);
  assert.deepEqual(got("d07"), [HADM.b2, 0, 1]);
  assert.deepEqual(got("d08"), [HADM.b1, 0, 0]);
});

test("stays by the last-admission shortcut: mortality of the latest admission whatever the date", async () => {
  const { by } = await rows({ stayMatch: "last-admission" });
  for (const d of ["d01", "d03", "d06"]) assert.deepEqual([by[d].hadm_id, by[d].mortality], [HADM.a2, 1], d);
  assert.deepEqual([by.d08.hadm_id, by.d08.mortality], [HADM.b2, 1]);
  assert.deepEqual([by.d04.icu, by.d14.mortality], [1, 0]); // ICU still by date
});

test("uncertain labels: zeros, ones, ignore; blank is 0", async () => {
  const at = (c: Awaited<ReturnType<typeof rows>>["c"], label: string) => (c.table.array(label) as Float32Array)[0];
  for (const [policy, cardiomegaly] of [
    ["zeros", 0],
    ["ones", 1],
    ["ignore", IGNORE_LABEL],
  ] as const) {
    const { c } = await rows({ uncertain: policy });
    assert.deepEqual(
      [at(c, "Atelectasis"), at(c, "Cardiomegaly"), at(c, "Edema"), at(c, "Fracture")],
      [1, cardiomegaly, 0, 0],
      policy,
    );
  }
});

test("impute mode: the training split's most frequent value (ties alphabetical)", async () => {
  const { by } = await rows();
  // Training views PA 2, AP 2, LATERAL 1: the AP/PA tie goes to AP; positions Erect 3, Recumbent 2.
  assert.deepEqual([by.d05.view, by.d05.view_imputed, by.d02.position, by.d02.position_imputed], ["AP", 1, "Erect", 1]);
  assert.deepEqual([by.d01.view_imputed, by.d01.position_imputed], [0, 0]);
});

test("impute drop: rows with a missing view or position are left out and counted", async () => {
  const { c } = await rows({ impute: "drop" });
  assert.equal(c.table.numRows(), 8);
  assert.equal(c.report.dropped["missing view"], 1);
  assert.equal(c.report.dropped["missing position"], 1);
  assert.deepEqual(c.report.imputed, { view: 0, position: 0 });
});

test("impute model: a forest fills every missing value with a known category", async () => {
  const { by } = await rows({ impute: "model" });
  assert.ok(["AP", "PA", "LATERAL", "LL"].includes(by.d05.view as string));
  assert.ok(["Erect", "Recumbent"].includes(by.d02.position as string));
});

test("MIMIC-IV v1 layout (core/) and plain .csv read the same", async () => {
  const v1 = writeHandmade({ layout: "v1", gzip: false });
  const a = await build(opts());
  const b = await build({ ...v1, quiet: true, impute: "mode" });
  for (const col of ["dicom_id", "age", "icu", "mortality", "view", "position", ...CHEXPERT_LABELS]) {
    assert.deepEqual(
      Array.from(b.table.array(col) as ArrayLike<unknown>),
      Array.from(a.table.array(col) as ArrayLike<unknown>),
      col,
    );
  }
});

test("splits: pretrain is the training split by default and everything with 'all'", async () => {
  const c = await build(opts());
  assert.deepEqual(c.split("pretrain").array("dicom_id"), ["d01", "d02", "d03", "d04", "d05", "d06"]);
  assert.deepEqual(c.split("test").array("dicom_id"), ["d07", "d08", "d09"]);
  const all = await build(opts({ pretrainSplit: "all" }));
  assert.equal(all.split("pretrain").numRows(), 10);
  assert.throws(() => c.split("val" as never), InputError);
});

test("random patient-level split: seeded, each patient in one split", async () => {
  const a = await build(opts({ split: { validate: 0.3, test: 0.3, seed: 3 } }));
  const b = await build(opts({ split: { validate: 0.3, test: 0.3, seed: 3 } }));
  assert.deepEqual(a.table.array("split"), b.table.array("split"));
  const subj = a.table.array("subject_id") as Float64Array;
  const split = a.table.array("split") as string[];
  const of = new Map<number, string>();
  subj.forEach((s, i) => {
    assert.equal(of.get(s) ?? split[i], split[i]);
    of.set(s, split[i]);
  });
  // 3 patients: round(0.3 * 3) = 1 in test, 1 in validate, 1 in train.
  assert.deepEqual([...new Set(of.values())].sort(), ["test", "train", "validate"]);
  assert.ok(a.report.steps.some((s) => s.step === "split (random, by patient)"));
});

test("labels(): n x 14 row-major in table order", async () => {
  const c = await build(opts({ uncertain: "ignore" }));
  const m = c.labels("train");
  assert.deepEqual(m.names, [...CHEXPERT_LABELS]);
  assert.equal(m.values.length, 6 * 14);
  assert.deepEqual(
    Array.from(m.values.slice(0, 14)),
    CHEXPERT_LABELS.map((l) => (l === "Atelectasis" ? 1 : l === "Cardiomegaly" ? -1 : 0)),
  );
  const test9 = c.labels("test").values.slice(2 * 14, 3 * 14); // d09
  assert.deepEqual(
    [test9[CHEXPERT_LABELS.indexOf("Support Devices")], test9[CHEXPERT_LABELS.indexOf("Pleural Effusion")]],
    [1, -1],
  );
});

test("features(): the authors' encodings and column orders", async () => {
  const c = await build(opts());
  const f = c.features("all-age-5", "train");
  assert.equal(f.names.length, 28);
  assert.deepEqual(f.names.slice(0, 3), ["male", "female", "<20"]);
  assert.deepEqual(f.names.slice(18), [
    "PA",
    "LATERAL",
    "AP",
    "LL",
    "Erect",
    "Recumbent",
    "alive",
    "died",
    "icu",
    "not_icu",
  ]);
  const row = (k: number) => Array.from(f.values.slice(k * 28, (k + 1) * 28));
  // d01: male, age 50 -> "45-50" (right-closed), PA, Erect, alive, not in ICU.
  const d01 = new Array(28).fill(0);
  for (const name of ["male", "45-50", "PA", "Erect", "alive", "not_icu"]) d01[f.names.indexOf(name)] = 1;
  assert.deepEqual(row(0), d01);
  // d05: AP (imputed), Recumbent, died.
  const d05 = row(4);
  assert.deepEqual(
    ["AP", "Recumbent", "died", "not_icu"].map((n) => d05[f.names.indexOf(n)]),
    [1, 1, 1, 1],
  );
  const v = c.features(["sex", "age"], "validate");
  assert.deepEqual(v.names, ["male", "female", "age_norm"]);
  assert.deepEqual(Array.from(v.values), [0, 1, Math.fround((20 - 16) / 84)]);
  const bins = c.features("age10", "validate");
  assert.equal(bins.values[bins.names.indexOf("<20*")], 1); // age 20 is in the first, right-closed bin
});

test("featureSets(): every set of the spec's table 12.4 with its ehr_in", async () => {
  const c = await build(opts());
  const dims = Object.fromEntries(c.featureSets().map((s) => [s.name, s.dim]));
  assert.deepEqual(dims, {
    "meta-gender-only": 2,
    "meta-age-norm-only": 1,
    "meta-age5-only": 16,
    "meta-age10-only": 9,
    "meta-view-only": 4,
    "meta-orientation-only": 2,
    "meta-mortality-only": 2,
    "meta-icu-only": 2,
    "socio-norm": 3,
    "socio-age5": 18,
    "socio-age10": 11,
    image_meta: 6,
    clinical: 4,
    "socio-age-norm-image-meta": 9,
    "socio-age-norm-clinical": 7,
    "socio-age-5-image-meta": 24,
    "socio-age-5-clinical": 22,
    "socio-age-10-image-meta": 17,
    "socio-age-10-clinical": 15,
    "image-meta-clinical": 10,
    "all-age-norm": 13,
    "all-age-5": 28,
    "all-age-10": 21,
    sex: 2,
    age_norm: 1,
    age5: 16,
    age10: 9,
    view: 4,
    position: 2,
    mortality: 2,
    icu: 2,
  });
  for (const s of c.featureSets()) assert.equal(c.features(s.name, "train").values.length, 6 * s.dim, s.name);
  assert.deepEqual(c.features("clinical", "test").names, ["alive", "died", "icu", "not_icu"]);
});

test("an unknown feature name is an InputError listing the valid ones", async () => {
  const c = await build(opts());
  assert.throws(
    () => c.features("smoker", "train"),
    (e: unknown) =>
      e instanceof InputError &&
      /found "smoker"/.test(e.message) &&
      /socio-norm/.test(e.message) &&
      /age_norm/.test(e.message),
  );
});

test("age bounds: the authors' 16-100, the training split's, or given", async () => {
  const fixed = await build(opts());
  assert.deepEqual(fixed.ageBounds, { min: 16, max: 100 });
  const train = await build(opts({ ageBounds: "train" }));
  assert.deepEqual(train.ageBounds, { min: 50, max: 51 });
  assert.equal(train.features("age_norm", "train").values[5], 1); // d06, age 51
  const given = await build(opts({ ageBounds: { min: 0, max: 100 } }));
  assert.equal(given.features("age_norm", "test").values[0], Math.fround(0.7));
});

test("summary(): counts, prevalence and distributions without ids", async () => {
  const c = await build(opts());
  const s = c.summary();
  assert.deepEqual(s.splits.train, { images: 6, studies: 5, patients: 1 });
  assert.deepEqual(s.splits.all, { images: 10, studies: 9, patients: 3 });
  const nf = s.labels.find((l) => l.label === "No Finding" && l.split === "train")!;
  assert.deepEqual([nf.positive, nf.prevalence], [4, 4 / 6]);
  assert.deepEqual(s.features.counts.view.AP, { train: 3, test: 2, all: 5 });
  assert.deepEqual(
    s.features.age.find((a) => a.split === "test"),
    { split: "test", mean: 70, sd: 0, min: 70, max: 70 },
  );
  const text = s.text();
  const html = s.html();
  assert.match(text, /images +6 +1 +3 +10/);
  assert.match(html, /<table>/);
  for (const id of ["d01", "10000001", "50000001", String(HADM.a1)])
    assert.ok(!text.includes(id) && !html.includes(id), id);
});

test("toDanfo(): a DataFrame with the table's shape and columns", async () => {
  const c = await build(opts());
  const df = c.toDanfo(c.split("test"));
  assert.deepEqual(df.shape, [3, c.table.numCols()]);
  assert.deepEqual(df.columns.slice(0, 5), ["dicom_id", "subject_id", "study_id", "split", "path"]);
});

test("checkImages: rows whose JPEG is missing are left out and counted (here all: an empty cohort is an error)", async () => {
  await assert.rejects(
    build(opts({ checkImages: true })),
    /expected a cohort of at least one image, found none left \(image file missing: 10;/,
  );
});

test("bad input: missing file, missing column, bad values, duplicates, bad options", async () => {
  const rejects = (edits: Parameters<typeof writeHandmade>[0], pattern: RegExp, o: Partial<CohortOptions> = {}) =>
    assert.rejects(
      build({ ...writeHandmade(edits), quiet: true, ...o }),
      (e: unknown) => e instanceof InputError && pattern.test(e.message),
    );
  await rejects({}, /mimic-cxr-2\.0\.0-metadata\.csv\.gz or \.csv/, { mimicCxr: path.join(dirs.mimicCxr, "..") });
  await rejects(
    {
      metadataHeader: [
        "dicom_id",
        "subject_id",
        "study_id",
        "Date",
        "StudyTime",
        "ViewPosition",
        "PatientOrientationCodeSequence_CodeMeaning",
      ],
    },
    /column "StudyDate": expected a column named "StudyDate", found the columns "dicom_id", "subject_id", "study_id", "Date"/,
  );
  const bad = (row: number, col: number, v: string | number) =>
    METADATA.map((r, k) => (k === row ? r.map((x, j) => (j === col ? v : x)) : r));
  await rejects(
    { metadata: bad(2, 3, "2150-03-12") },
    /metadata\.csv\.gz, row 3, column "StudyDate": expected a number, found "2150-03-12"/,
  );
  await rejects(
    { metadata: bad(2, 3, 21501312) },
    /row 3, column "StudyDate": expected a date YYYYMMDD, found 21501312/,
  );
  await rejects(
    { metadata: bad(3, 0, "d01") },
    /row 4, column "dicom_id": expected a dicom_id not seen before, found the dicom_id of row 1\.$/,
  );
  await rejects(
    { admissions: ADMISSIONS.map((r, k) => (k === 1 ? [r[0], r[1], "06/01/2150 08:00", r[3], r[4]] : r)) },
    /admissions\.csv\.gz, row 2, column "admittime": expected a timestamp YYYY-MM-DD HH:MM:SS, found "06\/01\/2150 08:00"/,
  );
  const rowsWithBadLabel = chexpertRows().map((r, k) => (k === 0 ? r.map((x, j) => (j === 2 ? "2.0" : x)) : r));
  await rejects(
    { chexpert: rowsWithBadLabel },
    /chexpert\.csv\.gz, row 1, column "Atelectasis": expected 1\.0, 0\.0, -1\.0 or blank, found "2\.0"/,
  );
  await rejects(
    { split: METADATA.map((m) => [m[0], m[2], m[1], "val"]) },
    /split\.csv\.gz, row 1, column "split": expected train, validate, test, found "val"/,
  );
  await assert.rejects(
    build({ ...dirs, uncertain: "maybe" as never }),
    /uncertain: expected one of zeros, ones, ignore, found "maybe"/,
  );
  await assert.rejects(build({ ...dirs, mimicIv: "/nonexistent/mimic-iv" }), /mimicIv: expected an existing folder/);
});

test("an admission or ICU stay without a subject_id is counted as unusable, not matched", async () => {
  const admissions = [...ADMISSIONS, ["", 29999999, "2150-03-10 14:00:00", "2150-03-15 10:00:00", 1]];
  const c = await build({ ...writeHandmade({ admissions }), quiet: true, impute: "mode" });
  const adm = c.report.steps.find((s) => s.step === "usable admissions")!;
  assert.deepEqual(
    [adm.rowsIn, adm.rowsOut, adm.dropped],
    [6, 4, { "dischtime before admittime": 1, "no subject_id": 1 }],
  );
  assert.ok(!(c.table.array("hadm_id") as (number | null)[]).includes(29999999));
});

test("a split file in another order is matched by dicom_id; its duplicates and the patients' are InputErrors", async () => {
  const splitRows = METADATA.filter((m) => m[0] !== "d15").map((m) => [
    m[0],
    m[2],
    m[1],
    m[1] === 10000002 ? "test" : m[1] === 10000005 ? "validate" : "train",
  ]);
  const reversed = await build({ ...writeHandmade({ split: [...splitRows].reverse() }), quiet: true, impute: "mode" });
  const base = await build(opts());
  assert.deepEqual(reversed.table.array("split"), base.table.array("split"));
  assert.deepEqual(reversed.report.dropped, base.report.dropped);
  const dup = [...splitRows].reverse().concat([splitRows[0]]);
  await assert.rejects(
    build({ ...writeHandmade({ split: dup }), quiet: true }),
    /split\.csv\.gz, row 15, column "dicom_id": expected a dicom_id not seen before, found the dicom_id of row 14\./,
  );
  await assert.rejects(
    build({ ...writeHandmade({ patients: [...PATIENTS, PATIENTS[0]] }), quiet: true }),
    /patients\.csv\.gz, row 5, column "subject_id": expected a subject_id not seen before, found the subject_id of row 1\./,
  );
});
