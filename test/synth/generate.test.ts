/**
 * synth.generate: MIMIC's files, columns and value formats, exact counts, determinism, the planted
 * edge cases, labels that depend on the EHR, and a cohort built from the files that agrees with the
 * generator's truth.
 */
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as aq from "arquero";
import { generate, population, phantomSpecs } from "../../src/synth/generate";
import { countsFor, MIMIC_COUNTS } from "../../src/synth/population";
import type { SynthResult } from "../../src/synth";
import { build } from "../../src/cohort";
import { CHEXPERT_LABELS } from "../../src/util/labels";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

const read = (file: string) => zlib.gunzipSync(fs.readFileSync(file)).toString("utf8");
const lines = (file: string) => read(file).trimEnd().split("\n");
const tmp = () => tempDir("synth");

let r: SynthResult;
before(async () => {
  r = await generate({ dir: tmp(), patients: 300, seed: 5, quiet: true });
});

test("counts in MIMIC's proportions, exactly; MIMIC's full size by name", () => {
  assert.deepEqual(countsFor(MIMIC_COUNTS.imagedPatients), { ...MIMIC_COUNTS });
  assert.deepEqual(countsFor(300), { patients: 1375, imagedPatients: 300, studies: 1045, images: 1730 });
  const meta = lines(path.join(r.mimicCxr, "mimic-cxr-2.0.0-metadata.csv.gz")).slice(1);
  assert.equal(meta.length, 1730);
  assert.equal(new Set(meta.map((l) => l.split(",")[2])).size, 1045);
  assert.equal(new Set(meta.map((l) => l.split(",")[1])).size, 300);
  const patients = lines(path.join(r.mimicIv, "hosp", "patients.csv.gz")).slice(1);
  assert.equal(patients.length, 1375 - r.edges["subject not in patients.csv"]);
  assert.equal(r.files.find((f) => f.file.endsWith("admissions.csv.gz"))!.rows, r.counts.admissions);
});

test("real file names, headers and value formats", () => {
  const header = (f: string) => lines(f)[0];
  assert.equal(
    header(path.join(r.mimicCxr, "mimic-cxr-2.0.0-metadata.csv.gz")),
    "dicom_id,subject_id,study_id,PerformedProcedureStepDescription,ViewPosition,Rows,Columns,StudyDate,StudyTime,ProcedureCodeSequence_CodeMeaning,ViewCodeSequence_CodeMeaning,PatientOrientationCodeSequence_CodeMeaning",
  );
  assert.equal(
    header(path.join(r.mimicCxr, "mimic-cxr-2.0.0-chexpert.csv.gz")),
    `subject_id,study_id,${CHEXPERT_LABELS.join(",")}`,
  );
  assert.equal(header(path.join(r.mimicCxr, "mimic-cxr-2.0.0-split.csv.gz")), "dicom_id,study_id,subject_id,split");
  assert.equal(
    header(path.join(r.mimicIv, "hosp", "patients.csv.gz")),
    "subject_id,gender,anchor_age,anchor_year,anchor_year_group,dod",
  );
  assert.equal(
    header(path.join(r.mimicIv, "hosp", "admissions.csv.gz")),
    "subject_id,hadm_id,admittime,dischtime,deathtime,admission_type,admit_provider_id,admission_location,discharge_location,insurance,language,marital_status,race,edregtime,edouttime,hospital_expire_flag",
  );
  assert.equal(
    header(path.join(r.mimicIv, "icu", "icustays.csv.gz")),
    "subject_id,hadm_id,stay_id,first_careunit,last_careunit,intime,outtime,los",
  );
  const meta = lines(path.join(r.mimicCxr, "mimic-cxr-2.0.0-metadata.csv.gz"))
    .slice(1)
    .map((l) => l.split(","));
  for (const m of meta) {
    assert.match(m[0], /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/);
    assert.match(m[1], /^1\d{7}$/);
    assert.match(m[2], /^5\d{7}$/);
    assert.match(m[7], /^2[12]\d{6}$/);
    assert.match(m[8], /^\d{1,6}\.\d{1,3}$/);
    assert.ok(["Erect", "Recumbent", ""].includes(m[11]), m[11]);
  }
  const views = new Set(meta.map((m) => m[4]));
  for (const v of ["PA", "AP", "LATERAL", "LL", ""]) assert.ok(views.has(v), v);
  assert.ok(
    [...views].some((v) => !["PA", "AP", "LATERAL", "LL", ""].includes(v)),
    "an unknown view code",
  );
  const labels = lines(path.join(r.mimicCxr, "mimic-cxr-2.0.0-chexpert.csv.gz"))
    .slice(1)
    .flatMap((l) => l.split(",").slice(2));
  assert.deepEqual([...new Set(labels)].sort(), ["", "-1.0", "0.0", "1.0"]);
  const adm = lines(path.join(r.mimicIv, "hosp", "admissions.csv.gz"))
    .slice(1)
    .map((l) => l.split(","));
  for (const a of adm) {
    assert.match(a[2], /^2\d{3}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.match(a[3], /^2\d{3}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok(a[15] === "0" || a[15] === "1");
    if (a[15] === "1") assert.equal(a[4], a[3]); // deathtime = dischtime
  }
  const pat = lines(path.join(r.mimicIv, "hosp", "patients.csv.gz"))
    .slice(1)
    .map((l) => l.split(","));
  for (const p of pat) {
    assert.ok(["M", "F", ""].includes(p[1]));
    assert.ok(Number(p[2]) >= 18 && Number(p[2]) <= 91);
    assert.match(p[4], /^20(08|11|14|17) - 20(10|13|16|19)$/);
  }
  const icu = lines(path.join(r.mimicIv, "icu", "icustays.csv.gz"))
    .slice(1)
    .map((l) => l.split(","));
  for (const s of icu)
    assert.ok(
      Math.abs(
        (Date.parse(s[6].replace(" ", "T") + "Z") - Date.parse(s[5].replace(" ", "T") + "Z")) / 864e5 - Number(s[7]),
      ) < 1e-5,
    );
});

test("the edge cases that break naive joins are all there", () => {
  for (const edge of [
    "subject not in patients.csv",
    "blank gender",
    "overlapping admission",
    "ed-before-admit",
    "after-discharge",
    "at-icu-out",
    "icu-out-day",
    "blank view",
    "other view code",
    "blank position",
    "study without labels",
  ]) {
    assert.ok(r.edges[edge] >= 1, edge);
  }
  // Overlaps are visible in the file: an admission starting before the subject's previous one ends.
  const adm = lines(path.join(r.mimicIv, "hosp", "admissions.csv.gz"))
    .slice(1)
    .map((l) => l.split(","));
  const bySubject = new Map<string, [string, string][]>();
  for (const a of adm) bySubject.set(a[0], [...(bySubject.get(a[0]) ?? []), [a[2], a[3]]]);
  const overlaps = [...bySubject.values()].filter((xs) =>
    xs.sort().some((x, k) => k > 0 && x[0] < xs[k - 1][1]),
  ).length;
  assert.equal(overlaps, r.edges["overlapping admission"]);
});

test("the same seed writes the same tables; another seed other ones", async () => {
  const again = await generate({ dir: tmp(), patients: 300, seed: 5, quiet: true });
  const other = await generate({ dir: tmp(), patients: 300, seed: 6, quiet: true });
  for (const f of ["mimic-cxr-2.0.0-metadata.csv.gz", "mimic-cxr-2.0.0-chexpert.csv.gz"]) {
    assert.equal(read(path.join(again.mimicCxr, f)), read(path.join(r.mimicCxr, f)));
    assert.notEqual(read(path.join(other.mimicCxr, f)), read(path.join(r.mimicCxr, f)));
  }
});

test("the cohort built from the files agrees with the generator's truth", async () => {
  const c = await build({ mimicCxr: r.mimicCxr, mimicIv: r.mimicIv, impute: "mode", quiet: true });
  const truth = await aq.loadCSV(r.truth, { autoType: false });
  const t = new Map((truth.objects() as Record<string, string>[]).map((o) => [o.dicom_id, o]));
  const rows = c.table.objects() as Record<string, unknown>[];
  assert.ok(rows.length > 1650 && rows.length < 1730, `${rows.length}`);
  let known = 0;
  for (const row of rows) {
    const o = t.get(row.dicom_id as string)!;
    assert.deepEqual(
      [row.age, row.sex, row.icu, row.mortality, row.split, row.hadm_id],
      [Number(o.age), o.sex, Number(o.icu), Number(o.mortality), o.split, o.hadm_id ? Number(o.hadm_id) : null],
      row.dicom_id as string,
    );
    if (!row.view_imputed) {
      assert.equal(row.view, o.view);
      known++;
    }
    if (!row.position_imputed) assert.equal(row.position, o.position);
  }
  assert.ok(known > 1500);
  for (const reason of ["subject not in MIMIC-IV patients", "missing gender", "study without a CheXpert label row"])
    assert.ok(c.report.dropped[reason] >= 1, reason);
  assert.ok(Object.keys(c.report.dropped).some((k) => k.startsWith("view code outside")));
});

test("MIMIC-IV v1 layout and plain CSV", async () => {
  const v1 = await generate({ dir: tmp(), patients: 20, seed: 2, layout: "v1", gzip: false, quiet: true });
  assert.ok(v1.mimicIv.endsWith(path.join("mimiciv", "1.0")));
  const adm = fs.readFileSync(path.join(v1.mimicIv, "core", "admissions.csv"), "utf8").split("\n")[0];
  assert.ok(adm.includes(",ethnicity,") && !adm.includes("admit_provider_id"));
  assert.ok(fs.existsSync(path.join(v1.mimicIv, "icu", "icustays.csv")));
  const c = await build({ mimicCxr: v1.mimicCxr, mimicIv: v1.mimicIv, impute: "mode", quiet: true });
  assert.ok(c.table.numRows() > 0);
});

test("findings depend on the EHR the way docs/synthetic-cohort.md says", () => {
  const pop = population({ patients: 2500, seed: 11 });
  const rate = (label: string, pick: (s: (typeof pop.studies)[number]) => boolean) => {
    const k = CHEXPERT_LABELS.indexOf(label as never);
    const xs = pop.studies.filter(pick);
    return xs.filter((s) => s.labels[k] === 1).length / xs.length;
  };
  const icu = (s: (typeof pop.studies)[number]) => s.icu === 1;
  assert.ok(rate("Support Devices", icu) > 3 * rate("Support Devices", (s) => !icu(s)));
  assert.ok(
    rate("Pleural Effusion", (s) => s.kind === "portable") > 1.5 * rate("Pleural Effusion", (s) => s.kind === "pa"),
  );
  assert.ok(rate("Edema", icu) > 1.5 * rate("Edema", (s) => !icu(s)));
  assert.ok(rate("Cardiomegaly", (s) => s.age >= 75) > 2 * rate("Cardiomegaly", (s) => s.age < 45));
  // MIMIC-like mixes: AP and recumbent go with the ICU; ~5% of images from admissions ending in death.
  const images = pop.images.length;
  const died = pop.images.filter((im) => pop.studies[im.study].died).length / images;
  assert.ok(died > 0.02 && died < 0.09, `${died}`);
  const ap = (pred: (s: (typeof pop.studies)[number]) => boolean) =>
    pop.studies.filter(pred).filter((s) => s.kind === "portable").length / pop.studies.filter(pred).length;
  assert.ok(ap(icu) > 0.85 && ap((s) => s.admission < 0) < 0.25);
  const blankView = pop.images.filter((im) => im.viewWritten === "").length / images;
  assert.ok(blankView > 0.02 && blankView < 0.07, `${blankView}`);
});

test("phantom specs carry what the tables say", () => {
  const pop = population({ patients: 30, seed: 5 });
  const specs = phantomSpecs(pop, "/data/cxr");
  assert.equal(specs.length, pop.images.length);
  pop.images.forEach((im, i) => {
    const s = pop.studies[im.study];
    const p = pop.patients[s.patient];
    const spec = specs[i];
    assert.equal(
      spec.file,
      `/data/cxr/files/p${String(p.subjectId).slice(0, 2)}/p${p.subjectId}/s${s.studyId}/${im.dicomId}.jpg`,
    );
    assert.deepEqual(
      spec.positive,
      CHEXPERT_LABELS.filter((_, k) => s.labels[k] === 1),
    );
    assert.deepEqual(
      spec.uncertain,
      CHEXPERT_LABELS.filter((_, k) => s.labels[k] === -1),
    );
    assert.deepEqual(
      [spec.view, spec.position, spec.age, spec.icu, spec.anatomySeed],
      [im.viewWritten, im.positionWritten, s.age, s.icu === 1, p.anatomySeed],
    );
    assert.equal(spec.sex, p.inPatientsFile ? p.genderWritten : "");
  });
});

test("images: true writes one JPEG per metadata row where the cohort's paths point", async () => {
  const small = await generate({ dir: tmp(), patients: 2, seed: 3, images: true, imageLongSide: 64, quiet: true });
  const c = await build({
    mimicCxr: small.mimicCxr,
    mimicIv: small.mimicIv,
    impute: "mode",
    checkImages: true,
    quiet: true,
  });
  assert.equal(small.images!.written, small.counts.images);
  assert.equal(c.report.dropped["image file missing"], undefined);
  assert.ok(c.table.numRows() > 0);
});

test("bad options are InputErrors naming the field", async () => {
  await assert.rejects(
    generate({ dir: tmp(), patients: 0 }),
    (e: unknown) => e instanceof InputError && /patients: expected an integer from 1/.test(e.message),
  );
  await assert.rejects(
    generate({ dir: tmp(), scale: "huge" as never }),
    /scale: expected "mimic" or a fraction in \(0, 1\]/,
  );
  await assert.rejects(
    generate({ dir: tmp(), splitFractions: { validate: 0.6, test: 0.6 } }),
    /splitFractions: expected validate and test fractions/,
  );
  await assert.rejects(generate({ dir: "" }), /dir: expected a folder path/);
});
