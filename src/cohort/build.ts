/**
 * `cohort.build`: one row per MIMIC-CXR-JPG image with its split, 14 CheXpert labels and EHR fields
 * from MIMIC-IV (msn-reference-spec §12-13), every row left out counted by reason.
 *
 * Steps, in order (each is a report step): patients (subject unknown to MIMIC-IV, missing gender),
 * view and position codes (codes other than PA/AP/LATERAL/LL, Erect/Recumbent), labels (study without a
 * CheXpert row), split (image missing from the split file), image files (when `checkImages`), stays
 * (admissions and ICU stays by time; no row left out), impute (missing view / position).
 */
import * as fs from "fs";
import * as path from "path";
import * as aq from "arquero";
import { InputError, describeValue } from "../util/errors";
import { CHEXPERT_LABELS } from "../util/labels";
import { mapLabel } from "./labels";
import { Rng } from "../util/random";
import { progress } from "../util/progress";
import { dayOfYmd, secondsOfStudyTime, SECONDS_PER_DAY } from "../synth/time";
import type { Cohort, CohortOptions, ImputePolicy, RandomSplit, SplitName, StayMatch, UncertainPolicy } from "./types";
import { SPLIT_NAMES } from "./types";
import { ColumnSpec, CsvColumns, findCsv, readCsv, readCsvInWorker } from "./csv";
import { Reporter } from "./report";
import { IdIndex } from "./idIndex";
import { indexIntervals, matchAdmissions, matchIcu } from "./stays";
import { fillForest, fillMode, POSITION_CODES, VIEW_CODES } from "./impute";
import { age5Bin, AUTHORS_AGE_BOUNDS } from "./features";
import { MimicCohort } from "./dataset";
import { jpegPath, PathColumn } from "./paths";

/** The options after defaults (what the report shows). */
export interface ResolvedOptions {
  mimicCxr: string;
  mimicIv: string;
  images: string;
  imageLayout: "mimic" | "flat";
  checkImages: boolean;
  uncertain: UncertainPolicy;
  impute: ImputePolicy;
  stayMatch: StayMatch;
  split: "official" | string | RandomSplit;
  pretrainSplit: SplitName | "all";
  ageBounds: "fixed" | "train" | { min: number; max: number };
  seed: number;
  imputeSample: number;
}

function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  throw new InputError({ field, expected: `one of ${allowed.join(", ")}`, found: describeValue(v) });
}

/** Checks the options at the boundary and fills the defaults. */
export function resolveOptions(o: CohortOptions): ResolvedOptions {
  for (const field of ["mimicCxr", "mimicIv"] as const) {
    const dir = o?.[field];
    if (typeof dir !== "string" || dir === "")
      throw new InputError({ field, expected: "a folder path", found: describeValue(dir) });
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
      throw new InputError({ field, file: dir, expected: "an existing folder", found: "nothing there" });
  }
  const split = o.split ?? "official";
  if (typeof split === "object") {
    const ok = split && split.validate >= 0 && split.test >= 0 && split.validate + split.test < 1;
    if (!ok)
      throw new InputError({
        field: "split",
        expected: "{ validate, test } fractions >= 0 with a sum below 1",
        found: JSON.stringify(split),
      });
  } else if (typeof split !== "string" || split === "") {
    throw new InputError({
      field: "split",
      expected: `"official", a split file path or { validate, test, seed }`,
      found: describeValue(split),
    });
  }
  const bounds = o.ageBounds ?? "fixed";
  if (typeof bounds === "object" ? !(bounds && bounds.max > bounds.min) : bounds !== "fixed" && bounds !== "train") {
    throw new InputError({
      field: "ageBounds",
      expected: `"fixed", "train" or { min, max } with max > min`,
      found: JSON.stringify(bounds),
    });
  }
  const seed = o.seed ?? 24;
  if (!Number.isInteger(seed))
    throw new InputError({ field: "seed", expected: "an integer", found: describeValue(seed) });
  const imputeSample = o.imputeSample ?? 20000;
  if (!(Number.isInteger(imputeSample) && imputeSample >= 10))
    throw new InputError({ field: "imputeSample", expected: "an integer >= 10", found: describeValue(imputeSample) });
  return {
    mimicCxr: path.resolve(o.mimicCxr),
    mimicIv: path.resolve(o.mimicIv),
    images: path.resolve(o.images ?? o.mimicCxr),
    imageLayout: oneOf("imageLayout", o.imageLayout, ["mimic", "flat"], "mimic"),
    checkImages: Boolean(o.checkImages),
    uncertain: oneOf("uncertain", o.uncertain, ["zeros", "ones", "ignore"], "zeros"),
    impute: oneOf("impute", o.impute, ["model", "mode", "drop"], "model"),
    stayMatch: oneOf("stayMatch", o.stayMatch, ["date", "datetime", "last-admission"], "date"),
    split,
    pretrainSplit: oneOf("pretrainSplit", o.pretrainSplit, ["train", "validate", "test", "all"], "train"),
    ageBounds: bounds,
    seed,
    imputeSample,
  };
}

/**
 * The MIMIC files `build` reads, found in the two folders (`.csv.gz` or `.csv`, MIMIC-IV v2 `hosp/`
 * or v1 `core/`); a missing one is an InputError naming what was looked for.
 */
export function findInputs(mimicCxr: string, mimicIv: string, split: CohortOptions["split"] = "official") {
  return {
    metadata: findCsv(mimicCxr, ["mimic-cxr-2.0.0-metadata"], "the MIMIC-CXR-JPG metadata"),
    chexpert: findCsv(mimicCxr, ["mimic-cxr-2.0.0-chexpert"], "the MIMIC-CXR-JPG CheXpert labels"),
    split:
      split === "official"
        ? findCsv(mimicCxr, ["mimic-cxr-2.0.0-split"], "the MIMIC-CXR-JPG split")
        : typeof split === "string"
          ? existing(split, "split")
          : undefined,
    patients: findCsv(mimicIv, ["hosp/patients", "core/patients"], "MIMIC-IV patients"),
    admissions: findCsv(mimicIv, ["hosp/admissions", "core/admissions"], "MIMIC-IV admissions"),
    icustays: findCsv(mimicIv, ["icu/icustays"], "MIMIC-IV ICU stays"),
  };
}

/** Builds the cohort from MIMIC-CXR-JPG and MIMIC-IV folders. */
export async function build(options: CohortOptions): Promise<Cohort> {
  const o = resolveOptions(options);
  const bar = progress("cohort", 4, { unit: "step", quiet: options.quiet });
  const rep = new Reporter();
  const files = findInputs(o.mimicCxr, o.mimicIv, o.split);
  const jobs: { file: string; specs: ColumnSpec[] }[] = [
    {
      file: files.metadata,
      specs: [
        { name: "dicom_id", kind: "string" },
        { name: "subject_id", kind: "number" },
        { name: "study_id", kind: "number" },
        { name: "StudyDate", kind: "number" },
        { name: "StudyTime", kind: "number" },
        { name: "ViewPosition", kind: "category" },
        { name: "PatientOrientationCodeSequence_CodeMeaning", kind: "category" },
      ],
    },
    {
      file: files.chexpert,
      specs: [
        { name: "study_id", kind: "number" },
        ...CHEXPERT_LABELS.map((name) => ({ name, kind: "label" as const })),
      ],
    },
    {
      file: files.patients,
      specs: [
        { name: "subject_id", kind: "number" },
        { name: "gender", kind: "category" },
        { name: "anchor_age", kind: "number" },
        { name: "anchor_year", kind: "number" },
      ],
    },
    {
      file: files.admissions,
      specs: [
        { name: "subject_id", kind: "number" },
        { name: "hadm_id", kind: "number" },
        { name: "admittime", kind: "timestamp" },
        { name: "dischtime", kind: "timestamp" },
        { name: "hospital_expire_flag", kind: "number" },
      ],
    },
    {
      file: files.icustays,
      specs: [
        { name: "subject_id", kind: "number" },
        { name: "intime", kind: "timestamp" },
        { name: "outtime", kind: "timestamp" },
      ],
    },
    ...(files.split
      ? [
          {
            file: files.split,
            specs: [
              { name: "dicom_id", kind: "hash" as const },
              { name: "split", kind: "category" as const },
            ],
          },
        ]
      : []),
  ];
  // MIMIC-IV's tables are parsed on a worker thread while MIMIC-CXR's are parsed here, and each table
  // is checked and indexed as soon as it is parsed: this thread would otherwise wait for the worker.
  const ehr = readCsvInWorker(jobs.slice(2, 5));
  const [metadata, labels, patients, splitFile, adm, icu] = await Promise.all([
    readCsv(jobs[0].file, jobs[0].specs).then((t) => ({ t, time: studyTimes(t) })),
    readCsv(jobs[1].file, jobs[1].specs).then((t) => ({ t, row: keyIndex(t, "study_id") })),
    ehr[0].then((t) => ({ t, row: keyIndex(t, "subject_id"), gender: patientGender(t) })),
    jobs[5] && readCsv(jobs[5].file, jobs[5].specs),
    ehr[1],
    ehr[2],
  ]);
  const { t: meta, time } = metadata;
  const { t: chex, row: labelRow } = labels;
  const { t: pat, row: patientRow, gender } = patients;
  for (const t of [meta, chex, splitFile, pat, adm, icu]) if (t) rep.input(t.file, t.rows);
  bar.tick(1);

  const n = meta.rows;
  const dicom = meta.strings.dicom_id;
  const subject = meta.numbers.subject_id;
  const study = meta.numbers.study_id;
  const ymd = meta.numbers.StudyDate;
  let rows: Int32Array = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  const patient = new Int32Array(n);
  rows = rep.filter("patients", rows, (i) => {
    const p = patientRow.get(subject[i]);
    if (p < 0) return "subject not in MIMIC-IV patients";
    patient[i] = p;
    return gender[p] < 0 ? "missing gender" : undefined;
  });
  // Codes: the index in VIEW_CODES / POSITION_CODES, -1 blank, -2 another value.
  const viewCode = recode(meta, "ViewPosition", VIEW_CODES);
  const posCode = recode(meta, "PatientOrientationCodeSequence_CodeMeaning", POSITION_CODES);
  const viewText = meta.categories.ViewPosition;
  const posText = meta.categories.PatientOrientationCodeSequence_CodeMeaning;
  rows = rep.filter("view and position codes", rows, (i) => {
    if (viewCode[i] === -2) return `view code outside PA, AP, LATERAL, LL (${viewText.values[viewText.codes[i]]})`;
    if (posCode[i] === -2) return `position outside Erect, Recumbent (${posText.values[posText.codes[i]]})`;
    return undefined;
  });
  const labelIdx = new Int32Array(n);
  rows = rep.filter("labels", rows, (i) => {
    const r = labelRow.get(study[i]);
    if (r < 0) return "study without a CheXpert label row";
    labelIdx[i] = r;
    return undefined;
  });
  // Split codes: the index in SPLIT_NAMES.
  const split = new Int8Array(n).fill(-1);
  if (splitFile) {
    const of = await splitCodes(splitFile, meta);
    rows = rep.filter("split", rows, (i) => {
      split[i] = of(i);
      return split[i] >= 0 ? undefined : "image not in the split file";
    });
  } else {
    randomSplit(rows, subject, split, o.split as RandomSplit, o.seed);
    rep.note("split (random, by patient)", "images", rows.length, rows.length);
  }
  if (o.checkImages)
    rows = rep.filter("image files", rows, (i) =>
      fs.existsSync(jpegPath(o.images, o.imageLayout, subject[i], study[i], dicom[i]))
        ? undefined
        : "image file missing",
    );
  bar.tick(1);

  // EHR fields.
  const admKeep = usableIntervals(rep, "admissions", adm, "admittime", "dischtime");
  adm.numbers.hospital_expire_flag.forEach((v, r) => {
    if (v !== 0 && v !== 1)
      throw new InputError({
        file: adm.file,
        row: r + 1,
        column: "hospital_expire_flag",
        expected: "0 or 1",
        found: describeValue(v),
      });
  });
  const icuKeep = usableIntervals(rep, "ICU stays", icu, "intime", "outtime");
  const admIndex = indexIntervals(adm.numbers.subject_id, adm.numbers.admittime, adm.numbers.dischtime, admKeep);
  const icuIndex = indexIntervals(icu.numbers.subject_id, icu.numbers.intime, icu.numbers.outtime, icuKeep);
  const rowSubject = pick(rows, subject);
  const rowTime = pick(rows, time);
  const matched = matchAdmissions(admIndex, adm.numbers.hadm_id, rowSubject, rowTime, o.stayMatch);
  const inIcu = matchIcu(icuIndex, rowSubject, rowTime, o.stayMatch);
  const age = new Float64Array(n);
  const male = new Uint8Array(n);
  const icuFlag = new Uint8Array(n);
  const died = new Uint8Array(n);
  const hadm = new Array<number | null>(n);
  rows.forEach((i, k) => {
    const p = patient[i];
    age[i] = Math.floor(ymd[i] / 10000) - (pat.numbers.anchor_year[p] - pat.numbers.anchor_age[p]);
    male[i] = gender[p];
    icuFlag[i] = inIcu[k];
    died[i] = matched[k] >= 0 ? adm.numbers.hospital_expire_flag[matched[k]] : 0;
    hadm[i] = matched[k] >= 0 ? adm.numbers.hadm_id[matched[k]] : null;
  });
  rep.note(`stays (${o.stayMatch})`, "images", rows.length, rows.length);
  bar.tick(1);

  // Missing view / position.
  const viewMissing = new Uint8Array(n);
  const posMissing = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    viewMissing[i] = viewCode[i] < 0 ? 1 : 0;
    posMissing[i] = posCode[i] < 0 ? 1 : 0;
  }
  if (o.impute === "drop") {
    rows = rep.filter("impute (drop)", rows, (i) =>
      viewMissing[i] && posMissing[i]
        ? "missing view and position"
        : viewMissing[i]
          ? "missing view"
          : posMissing[i]
            ? "missing position"
            : undefined,
    );
  } else {
    const train = rows.filter((i) => split[i] === TRAIN);
    const fitRows = train.some((i) => !viewMissing[i]) && train.some((i) => !posMissing[i]) ? train : rows;
    for (const [name, codes] of [
      ["view", viewCode],
      ["position", posCode],
    ] as const) {
      if (!fitRows.some((i) => codes[i] >= 0) && rows.some((i) => codes[i] < 0)) {
        throw new InputError({
          file: meta.file,
          column: name === "view" ? "ViewPosition" : "PatientOrientationCodeSequence_CodeMeaning",
          expected: `some known ${name} values to impute the missing ones from`,
          found: "none",
        });
      }
    }
    if (o.impute === "mode") {
      rep.imputed.view = fillMode(viewCode, rows, fitRows, VIEW_CODES.length);
      rep.imputed.position = fillMode(posCode, rows, fitRows, POSITION_CODES.length);
    } else {
      const context = studyContext(rows, study, viewCode, posCode);
      const base = (i: number) => [age5Bin(age[i]), male[i], icuFlag[i], died[i]];
      const observedPos = Int8Array.from(posCode);
      const observedView = Int8Array.from(viewCode);
      rep.imputed.view = fillForest(
        viewCode,
        rows,
        fitRows,
        (i) => [observedPos[i] + 1, ...base(i), ...context.views(i)],
        { seed: o.seed, sample: o.imputeSample },
      );
      rep.imputed.position = fillForest(
        posCode,
        rows,
        fitRows,
        (i) => [observedView[i] + 1, ...base(i), ...context.positions(i)],
        { seed: o.seed + 1, sample: o.imputeSample },
      );
    }
    rep.note(`impute (${o.impute})`, "images", rows.length, rows.length);
  }
  bar.tick(1);

  // The table, filled in one pass over the kept rows: a helper called once per column is 5x slower
  // here, its reads from a dozen kinds of array being polymorphic.
  const m = rows.length;
  const dicomId = new Array<string>(m);
  const subjectId = new Float64Array(m);
  const studyId = new Float64Array(m);
  const splitName = new Array<string>(m);
  const fields = {
    age: new Float64Array(m),
    sex: new Array<string>(m),
    view: new Array<string>(m),
    position: new Array<string>(m),
    icu: new Uint8Array(m),
    mortality: new Uint8Array(m),
    study_date: new Float64Array(m),
    hadm_id: new Array<number | null>(m),
    view_imputed: new Uint8Array(m),
    position_imputed: new Uint8Array(m),
  };
  const {
    age: ageOut,
    sex,
    view,
    position,
    icu: icuOut,
    mortality,
    study_date: studyDate,
    hadm_id: hadmOut,
    view_imputed: viewImputed,
    position_imputed: positionImputed,
  } = fields;
  for (let k = 0; k < m; k++) {
    const i = rows[k];
    dicomId[k] = dicom[i];
    subjectId[k] = subject[i];
    studyId[k] = study[i];
    splitName[k] = SPLIT_NAMES[split[i]];
    ageOut[k] = age[i];
    sex[k] = male[i] ? "M" : "F";
    view[k] = VIEW_CODES[viewCode[i]];
    position[k] = POSITION_CODES[posCode[i]];
    icuOut[k] = icuFlag[i];
    mortality[k] = died[i];
    studyDate[k] = ymd[i];
    hadmOut[k] = hadm[i];
    viewImputed[k] = viewMissing[i];
    positionImputed[k] = posMissing[i];
  }
  const columns: Record<string, ArrayLike<unknown> | PathColumn> = {
    dicom_id: dicomId,
    subject_id: subjectId,
    study_id: studyId,
    split: splitName,
    path: new PathColumn(o.images, o.imageLayout, subjectId, studyId, dicomId),
  };
  // CheXpert's 1, 0, -1 and blank (NaN) are indices 3, 2, 1 and 0 of this table: no branch per value.
  const labelValue = Float32Array.of(0, mapLabel(-1, o.uncertain), 0, 1);
  const labelAt = new Int32Array(m);
  for (let k = 0; k < m; k++) labelAt[k] = labelIdx[rows[k]];
  for (const name of CHEXPERT_LABELS) {
    const col = chex.numbers[name];
    const out = new Float32Array(m);
    for (let k = 0; k < m; k++) out[k] = labelValue[(col[labelAt[k]] + 2) | 0];
    columns[name] = out;
  }
  Object.assign(columns, fields);
  const table = aq.table(columns as Record<string, unknown[]>);
  const bounds = ageBounds(o, table);
  const report = rep.finish({ ...o });
  bar.finish({ images: table.numRows() });
  return new MimicCohort(table, report, bounds, o.pretrainSplit);
}

const TRAIN = SPLIT_NAMES.indexOf("train");

/** Each image's study time (seconds), after checking the metadata's ids and dates and that no dicom_id repeats. */
function studyTimes(meta: CsvColumns): Float64Array {
  const { dicom_id: dicom } = meta.strings;
  const { subject_id: subject, study_id: study, StudyDate: ymd, StudyTime: hms } = meta.numbers;
  const time = new Float64Array(meta.rows);
  for (let i = 0; i < meta.rows; i++) {
    requireValue(meta, i, "dicom_id", dicom[i] !== "", dicom[i]);
    requireValue(meta, i, "subject_id", Number.isInteger(subject[i]), subject[i]);
    requireValue(meta, i, "study_id", Number.isInteger(study[i]), study[i]);
    const d = dayOfYmd(ymd[i]);
    if (Number.isNaN(d))
      throw new InputError({
        file: meta.file,
        row: i + 1,
        column: "StudyDate",
        expected: "a date YYYYMMDD",
        found: describeValue(ymd[i]),
      });
    const sod = secondsOfStudyTime(hms[i]);
    if (Number.isNaN(sod))
      throw new InputError({
        file: meta.file,
        row: i + 1,
        column: "StudyTime",
        expected: "a time HHMMSS[.fff]",
        found: describeValue(hms[i]),
      });
    time[i] = d * SECONDS_PER_DAY + sod;
  }
  checkUnique(meta, "dicom_id");
  return time;
}

/** Each patient row's sex code (0 F, 1 M, -1 blank), after checking that the anchor age and year are there. */
function patientGender(pat: CsvColumns): Int8Array {
  for (const c of ["anchor_age", "anchor_year"])
    pat.numbers[c].forEach((v, r) => requireValue(pat, r, c, Number.isFinite(v), v));
  return recode(pat, "gender", ["F", "M"], "M, F or blank");
}

/**
 * Each row's index of a category column's value in `vocabulary`: -1 for blank, -2 for another value,
 * or, when `expected` is given, an InputError at the first row with another value.
 */
function recode(t: CsvColumns, column: string, vocabulary: readonly string[], expected?: string): Int8Array {
  const { codes, values } = t.categories[column];
  const map = Int8Array.from(values, (v, c) => {
    const k = vocabulary.indexOf(v);
    if (k >= 0) return k;
    if (v === "") return -1;
    if (expected)
      throw new InputError({ file: t.file, row: codes.indexOf(c) + 1, column, expected, found: describeValue(v) });
    return -2;
  });
  const out = new Int8Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = map[codes[i]];
  return out;
}

/** `src[rows[k]]` for every k. */
function pick(rows: Int32Array, src: Float64Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = src[rows[k]];
  return out;
}

function existing(file: string, field: string): string {
  if (!fs.existsSync(file))
    throw new InputError({ field, file, expected: "an existing split file", found: "nothing there" });
  return path.resolve(file);
}

function requireValue(t: CsvColumns, row: number, column: string, ok: boolean, found: unknown): void {
  if (!ok)
    throw new InputError({
      file: t.file,
      row: row + 1,
      column,
      expected: "a value (an id or number)",
      found: describeValue(found),
    });
}

/** The InputError for a key that repeats: 0-based `row` holds the same value as row `first`. */
function repeatedKey(file: string, column: string, row: number, first: number): InputError {
  return new InputError({
    file,
    row: row + 1,
    column,
    expected: `a ${column} not seen before`,
    found: `the ${column} of row ${first + 1}`,
  });
}

/** key -> row of a numeric key column; a duplicate key is an InputError. */
function keyIndex(t: CsvColumns, column: string): IdIndex {
  const col = t.numbers[column];
  const index = new IdIndex(col.length);
  for (let r = 0; r < col.length; r++) {
    requireValue(t, r, column, Number.isInteger(col[r]), col[r]);
    const prev = index.add(col[r], r);
    if (prev >= 0) throw repeatedKey(t.file, column, r, prev);
  }
  return index;
}

/** value -> row of a text key column; a repeated value is an InputError at its second row. */
function stringIndex(file: string, column: string, values: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  values.forEach((v, r) => {
    const prev = index.get(v);
    if (prev !== undefined) throw repeatedKey(file, column, r, prev);
    index.set(v, r);
  });
  return index;
}

/**
 * An InputError at the first repeated value of a `string` column. Hashes first, strings only when
 * two hashes agree.
 */
function checkUnique(t: CsvColumns, column: string): void {
  const hashes = t.hashes[column];
  const seen = new IdIndex(hashes.length);
  for (let r = 0; r < hashes.length; r++) {
    if (seen.add(hashes[r], r) >= 0) {
      stringIndex(t.file, column, t.strings[column]);
      return;
    }
  }
}

/**
 * The split code of metadata row i (-1 when the file does not list its dicom_id); the split file's
 * values must be train, validate or test and its dicom_ids unique. MIMIC's split file lists the
 * images in the metadata's order, which the dicom_id hashes show without making strings; only a file
 * in another order is read again with its dicom_ids and indexed.
 */
async function splitCodes(t: CsvColumns, meta: CsvColumns): Promise<(i: number) => number> {
  const code = recode(t, "split", SPLIT_NAMES, SPLIT_NAMES.join(", "));
  code.forEach((c, r) => {
    if (c < 0)
      throw new InputError({
        file: t.file,
        row: r + 1,
        column: "split",
        expected: SPLIT_NAMES.join(", "),
        found: "an empty string",
      });
  });
  const ours = t.hashes.dicom_id;
  const theirs = meta.hashes.dicom_id;
  let aligned = ours.length === theirs.length;
  for (let i = 0; aligned && i < ours.length; i++) aligned = ours[i] === theirs[i];
  // Aligned with the metadata (whose dicom_ids are unique): nothing more to check or index.
  if (aligned) return (i) => code[i];
  const ids = (await readCsv(t.file, [{ name: "dicom_id", kind: "string" }])).strings.dicom_id;
  const index = stringIndex(t.file, "dicom_id", ids);
  const metaIds = meta.strings.dicom_id;
  return (i) => {
    const r = index.get(metaIds[i]);
    return r === undefined ? -1 : code[r];
  };
}

/** Patient-level random split: subjects shuffled with the seed, then test, validate, train. */
function randomSplit(rows: Int32Array, subject: Float64Array, out: Int8Array, s: RandomSplit, seed: number): void {
  const subjects = [...new Set(Array.from(rows, (i) => subject[i]))].sort((a, b) => a - b);
  new Rng(s.seed ?? seed).shuffle(subjects);
  const nTest = Math.round(s.test * subjects.length);
  const nVal = Math.round(s.validate * subjects.length);
  const of = new Map<number, number>();
  subjects.forEach((id, k) =>
    of.set(id, SPLIT_NAMES.indexOf(k < nTest ? "test" : k < nTest + nVal ? "validate" : "train")),
  );
  for (const i of rows) out[i] = of.get(subject[i])!;
}

/** Admissions / ICU stays usable for matching: a subject_id and both times present, the times in order; the others counted. */
function usableIntervals(rep: Reporter, what: string, t: CsvColumns, startCol: string, endCol: string): Uint8Array {
  const start = t.numbers[startCol];
  const end = t.numbers[endCol];
  const keep = new Uint8Array(t.rows);
  const dropped: Record<string, number> = {};
  const subject = t.numbers.subject_id;
  for (let r = 0; r < t.rows; r++) {
    const why = !Number.isInteger(subject[r])
      ? "no subject_id"
      : Number.isNaN(start[r])
        ? `no ${startCol}`
        : Number.isNaN(end[r])
          ? `no ${endCol}`
          : end[r] < start[r]
            ? `${endCol} before ${startCol}`
            : undefined;
    if (why) dropped[why] = (dropped[why] ?? 0) + 1;
    else keep[r] = 1;
  }
  const usable = keep.reduce((a, b) => a + b, 0);
  rep.note(`usable ${what}`, what, t.rows, usable, dropped);
  return keep;
}

/** For each image, which views / positions the other images of its study have (0/1 flags). */
function studyContext(rows: Int32Array, study: Float64Array, viewCode: Int8Array, posCode: Int8Array) {
  const views = new Map<number, number[]>();
  const positions = new Map<number, number[]>();
  for (const i of rows) {
    if (viewCode[i] >= 0) (views.get(study[i]) ?? views.set(study[i], []).get(study[i])!).push(i);
    if (posCode[i] >= 0) (positions.get(study[i]) ?? positions.set(study[i], []).get(study[i])!).push(i);
  }
  const flags = (m: Map<number, number[]>, codes: Int8Array, k: number, i: number) => {
    const f = new Array(k).fill(0);
    for (const j of m.get(study[i]) ?? []) if (j !== i) f[codes[j]] = 1;
    return f;
  };
  return {
    views: (i: number) => flags(views, viewCode, VIEW_CODES.length, i),
    positions: (i: number) => flags(positions, posCode, POSITION_CODES.length, i),
  };
}

function ageBounds(o: ResolvedOptions, table: aq.ColumnTable): { min: number; max: number } {
  if (o.ageBounds === "fixed") return { ...AUTHORS_AGE_BOUNDS };
  if (typeof o.ageBounds === "object") return { min: o.ageBounds.min, max: o.ageBounds.max };
  const ages = table.array("age") as Float64Array;
  const splits = table.array("split") as string[];
  let min = Infinity;
  let max = -Infinity;
  ages.forEach((a, k) => {
    if (splits[k] !== "train") return;
    min = Math.min(min, a);
    max = Math.max(max, a);
  });
  if (!(max > min))
    throw new InputError({
      field: "ageBounds",
      expected: `"train" bounds from at least two training ages`,
      found: min === Infinity ? "no training rows" : `a single age ${min}`,
    });
  return { min, max };
}
