/**
 * The read and check steps of `cohort.build`: the MIMIC files parsed into columns, each table checked
 * (ids present, keys unique, dates valid) and indexed by its key as soon as it is parsed.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError, describeValue } from "../util/errors";
import { CHEXPERT_LABELS } from "../util/labels";
import { dayOfYmd, secondsOfStudyTime, SECONDS_PER_DAY } from "../mimic/time";
import { MIMIC_CXR_TABLES, mimicIvStems } from "../mimic/layout";
import type { CohortOptions } from "./types";
import { ColumnSpec, CsvColumns, findCsv, readCsv } from "./csv";
import type { IvTables } from "./ivTables";
import type { Reporter } from "./buildReport";
import { IdIndex } from "./idIndex";
import { checkUnique, keyIndex, recode, requireValue } from "./tableChecks";

/** The MIMIC-CXR-JPG files `build` reads. */
export interface MimicCxrInputs {
  metadata: string;
  chexpert: string;
  /** Absent for a random split. */
  split?: string;
}

/** The MIMIC-IV files `build` reads. */
export interface MimicIvFiles {
  patients: string;
  admissions: string;
  icustays: string;
}

/** A MIMIC-IV database in mimic-code's layout: a DuckDB file, or a PostgreSQL connection URL. */
export type DatabaseSource = { duckdb: string } | { postgres: string };

/** The files `build` reads from the two folders. */
export type MimicInputs = MimicCxrInputs & MimicIvFiles;

/**
 * The MIMIC files `build` reads, found in the two folders (`.csv.gz` or `.csv`, MIMIC-IV v2 `hosp/`
 * or v1 `core/`); a missing one is an InputError naming what was looked for.
 */
export function findInputs(mimicCxr: string, mimicIv: string, split: CohortOptions["split"] = "official"): MimicInputs {
  return { ...findCxrInputs(mimicCxr, split), ...findIvFiles(mimicIv) };
}

/** The MIMIC-CXR-JPG files in their folder (and the split file that `split` names). */
export function findCxrInputs(mimicCxr: string, split: CohortOptions["split"] = "official"): MimicCxrInputs {
  return {
    metadata: findCsv(mimicCxr, [MIMIC_CXR_TABLES.metadata.stem], "the MIMIC-CXR-JPG metadata"),
    chexpert: findCsv(mimicCxr, [MIMIC_CXR_TABLES.chexpert.stem], "the MIMIC-CXR-JPG CheXpert labels"),
    split: findSplitFile(mimicCxr, split),
  };
}

/** The split file that `split` names (none for a random split). */
export function findSplitFile(mimicCxr: string, split: CohortOptions["split"] = "official"): string | undefined {
  if (split === "official") return findCsv(mimicCxr, [MIMIC_CXR_TABLES.split.stem], "the MIMIC-CXR-JPG split");
  return typeof split === "string" && split !== "paper" ? existing(split, "split") : undefined;
}

/** MIMIC-IV's tables the cohort reads, in the order they are read. */
export const IV_TABLES = ["patients", "admissions", "icustays"] as const;

/** The MIMIC-IV files in their folder. */
export function findIvFiles(mimicIv: string): MimicIvFiles {
  return {
    patients: findCsv(mimicIv, mimicIvStems("patients"), "MIMIC-IV patients"),
    admissions: findCsv(mimicIv, mimicIvStems("admissions"), "MIMIC-IV admissions"),
    icustays: findCsv(mimicIv, mimicIvStems("icustays"), "MIMIC-IV ICU stays"),
  };
}

function existing(file: string, field: string): string {
  if (!fs.existsSync(file))
    throw new InputError({ field, file, expected: "an existing split file", found: "nothing there" });
  return path.resolve(file);
}

/** The columns `build` reads from each table, and how each is parsed. */
export const COLUMNS: Record<keyof MimicInputs, ColumnSpec[]> = {
  metadata: [
    { name: "dicom_id", kind: "string" },
    { name: "subject_id", kind: "number" },
    { name: "study_id", kind: "number" },
    { name: "StudyDate", kind: "number" },
    { name: "StudyTime", kind: "number" },
    { name: "ViewPosition", kind: "category" },
    { name: "PatientOrientationCodeSequence_CodeMeaning", kind: "category" },
  ],
  chexpert: [
    { name: "study_id", kind: "number" },
    ...CHEXPERT_LABELS.map((name) => ({ name, kind: "label" as const })),
  ],
  patients: [
    { name: "subject_id", kind: "number" },
    { name: "gender", kind: "category" },
    { name: "anchor_age", kind: "number" },
    { name: "anchor_year", kind: "number" },
  ],
  admissions: [
    { name: "subject_id", kind: "number" },
    { name: "hadm_id", kind: "number" },
    { name: "admittime", kind: "timestamp" },
    { name: "dischtime", kind: "timestamp" },
    { name: "hospital_expire_flag", kind: "number" },
  ],
  icustays: [
    { name: "subject_id", kind: "number" },
    { name: "intime", kind: "timestamp" },
    { name: "outtime", kind: "timestamp" },
  ],
  split: [
    { name: "dicom_id", kind: "hash" },
    { name: "split", kind: "category" },
  ],
};

/** The tables as read and checked, with the indexes the later steps join through. */
export interface MimicTables {
  meta: CsvColumns;
  /** Each metadata row's study time (seconds since 1970). */
  time: Float64Array;
  chex: CsvColumns;
  /** study_id -> CheXpert row. */
  labelRow: IdIndex;
  pat: CsvColumns;
  /** subject_id -> patients row. */
  patientRow: IdIndex;
  /** Each patients row's sex code (0 F, 1 M, -1 blank). */
  gender: Int8Array;
  /** Absent for a random split. */
  splitFile?: CsvColumns;
  adm: CsvColumns;
  icu: CsvColumns;
}

/** The admissions and ICU stays, which the time match needs; the images are joined without them. */
export type StayTables = Pick<MimicTables, "adm" | "icu">;

/**
 * Reads and checks every table, noting each file and its rows in the report. The admissions and ICU
 * stays come as `stays`, once the worker has read them: the largest file on the worker, admissions
 * is often read last, and this thread joins the images meanwhile.
 */
export async function readTables(
  files: MimicCxrInputs,
  iv: IvTables,
  rep: Reporter,
): Promise<{ tables: Omit<MimicTables, keyof StayTables>; stays: Promise<StayTables> }> {
  // MIMIC-IV's tables are read elsewhere (a worker thread, or a database) while MIMIC-CXR's are parsed
  // here, and each table is checked and indexed as soon as it is read: this thread would otherwise wait.
  const [patients, admissions, icustays] = iv;
  const [metadata, labels, pats, splitFile] = await Promise.all([
    readCsv(files.metadata, COLUMNS.metadata).then((t) => ({ t, time: studyTimes(t) })),
    readCsv(files.chexpert, COLUMNS.chexpert).then((t) => ({ t, row: keyIndex(t, "study_id") })),
    patients.then((t) => ({ t, row: keyIndex(t, "subject_id"), gender: patientGender(t) })),
    files.split && readCsv(files.split, COLUMNS.split),
  ]);
  for (const t of [metadata.t, labels.t, splitFile, pats.t]) if (t) rep.input(t.file, t.rows);
  const stays = Promise.all([admissions, icustays]).then(([adm, icu]) => {
    for (const t of [adm, icu]) rep.input(t.file, t.rows);
    return { adm, icu };
  });
  // A failure is reported where `stays` is awaited, not as an unhandled rejection before that.
  stays.catch(() => undefined);
  return {
    tables: {
      meta: metadata.t,
      time: metadata.time,
      chex: labels.t,
      labelRow: labels.row,
      pat: pats.t,
      patientRow: pats.row,
      gender: pats.gender,
      splitFile: splitFile || undefined,
    },
    stays,
  };
}

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
