/**
 * A hand-made MIMIC folder pair whose cohort is worked out by hand (see the expectations in
 * build.test.ts): study on an admission's first day before admittime, at an ICU out-time and later
 * that day, on a discharge day after dischtime, outside every admission, overlapping admissions, an
 * admission discharged before it began, missing gender, a subject unknown to MIMIC-IV, another view
 * code, a study without labels, an image missing from the split file, missing view and position.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { CHEXPERT_LABELS } from "../../src/util/labels";
import { tempDir } from "../support/tempDir";
import { MIMIC_CXR_TABLES, mimicIvTables, type MimicTable } from "../../src/mimic/layout";

export type Rows = (string | number)[][];

/** Writes a CSV (gzip when the name ends in .gz). */
export function writeCsv(file: string, header: readonly string[], rows: Rows): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text = [header, ...rows].map((r) => r.join(",")).join("\n") + "\n";
  fs.writeFileSync(file, file.endsWith(".gz") ? zlib.gzipSync(text) : text);
}

export const SUBJECT = { a: 10000001, b: 10000002, noGender: 10000003, unknown: 10000004, young: 10000005 };
export const HADM = { a1: 20000001, a2: 20000002, b1: 20000003, b2: 20000004, bad: 20000005 };

export const PATIENTS: Rows = [
  [SUBJECT.a, "M", 50, 2150, "2011 - 2013", ""],
  [SUBJECT.b, "F", 70, 2160, "2014 - 2016", "2160-01-20"],
  [SUBJECT.noGender, "", 40, 2140, "2011 - 2013", ""],
  [SUBJECT.young, "F", 19, 2120, "2017 - 2019", ""],
];

export const ADMISSIONS: Rows = [
  [SUBJECT.a, HADM.a1, "2150-03-10 14:00:00", "2150-03-15 10:00:00", 0],
  [SUBJECT.a, HADM.a2, "2150-06-01 08:00:00", "2150-06-05 18:30:00", 1],
  [SUBJECT.b, HADM.b1, "2160-01-01 10:00:00", "2160-01-10 12:00:00", 0],
  [SUBJECT.b, HADM.b2, "2160-01-10 09:00:00", "2160-01-20 12:00:00", 1],
  [SUBJECT.young, HADM.bad, "2121-05-05 10:00:00", "2121-05-04 10:00:00", 1],
];

export const ICUSTAYS: Rows = [
  [SUBJECT.a, HADM.a1, 30000001, "MICU", "MICU", "2150-03-11 08:00:00", "2150-03-12 16:00:00", 1.3333],
  [SUBJECT.b, HADM.b2, 30000002, "MICU", "MICU", "2160-01-12 00:00:00", "2160-01-14 06:00:00", 2.25],
];

/** dicom_id, subject_id, study_id, StudyDate, StudyTime, ViewPosition, orientation */
export const METADATA: Rows = [
  ["d01", SUBJECT.a, 50000001, 21500310, "90000.0", "PA", "Erect"], // admission day, before admittime
  ["d02", SUBJECT.a, 50000001, 21500310, "90000.0", "LATERAL", ""], // missing position
  ["d03", SUBJECT.a, 50000002, 21500312, "160000.0", "AP", "Recumbent"], // at the ICU out-time
  ["d04", SUBJECT.a, 50000003, 21500312, "170000.0", "AP", "Erect"], // ICU out day, after out-time
  ["d05", SUBJECT.a, 50000004, 21500605, "200000.0", "", "Recumbent"], // discharge day after dischtime; missing view
  ["d06", SUBJECT.a, 50000005, 21510101, "120000.0", "PA", "Erect"], // outside every admission
  ["d07", SUBJECT.b, 50000006, 21600110, "110000.0", "AP", "Recumbent"], // in both overlapping admissions
  ["d08", SUBJECT.b, 50000007, 21600110, "85000.0", "PA", "Erect"], // overlap day, only b1 holds the time
  ["d09", SUBJECT.b, 50000008, 21600113, "120000.0", "AP", "Recumbent"], // in an ICU stay
  ["d10", SUBJECT.b, 50000008, 21600113, "120000.0", "XTABLE LATERAL", "Recumbent"], // other view code
  ["d11", SUBJECT.noGender, 50000009, 21400101, "100000.0", "PA", "Erect"], // missing gender
  ["d12", SUBJECT.unknown, 50000010, 21400101, "100000.0", "PA", "Erect"], // not in patients
  ["d13", SUBJECT.young, 50000011, 21200101, "0.0", "PA", "Erect"], // study without labels
  ["d14", SUBJECT.young, 50000012, 21210601, "101010.5", "PA", "Erect"], // age 20; unusable admission
  ["d15", SUBJECT.a, 50000013, 21510102, "120000.0", "PA", "Erect"], // not in the split file
];

const blankLabels = () => CHEXPERT_LABELS.map(() => "");
/** Labels of every study but 50000011; 50000001 has Atelectasis 1.0, Cardiomegaly -1.0, Edema 0.0. */
export function chexpertRows(): Rows {
  const studies = [
    50000001, 50000002, 50000003, 50000004, 50000005, 50000006, 50000007, 50000008, 50000009, 50000010, 50000012,
    50000013,
  ];
  return studies.map((s) => {
    const labels: (string | number)[] = blankLabels();
    if (s === 50000001) {
      labels[CHEXPERT_LABELS.indexOf("Atelectasis")] = "1.0";
      labels[CHEXPERT_LABELS.indexOf("Cardiomegaly")] = "-1.0";
      labels[CHEXPERT_LABELS.indexOf("Edema")] = "0.0";
    } else if (s === 50000008) {
      labels[CHEXPERT_LABELS.indexOf("Support Devices")] = "1.0";
      labels[CHEXPERT_LABELS.indexOf("Pleural Effusion")] = "-1.0";
    } else {
      labels[CHEXPERT_LABELS.indexOf("No Finding")] = "1.0";
    }
    const subject = METADATA.find((m) => m[2] === s)![1];
    return [subject, s, ...labels];
  });
}

const SPLIT_OF: Record<number, string> = {
  [SUBJECT.a]: "train",
  [SUBJECT.b]: "test",
  [SUBJECT.noGender]: "train",
  [SUBJECT.unknown]: "train",
  [SUBJECT.young]: "validate",
};

export interface Handmade {
  mimicCxr: string;
  mimicIv: string;
  /**
   * The tables' own split file: they are not a synthetic dataset (no synth.json), so without it the
   * cohort would draw the paper's split by patient.
   */
  split: "official";
}

export interface HandmadeEdits {
  metadata?: Rows;
  metadataHeader?: string[];
  chexpert?: Rows;
  admissions?: Rows;
  patients?: Rows;
  split?: Rows;
  layout?: "v1" | "v2";
  gzip?: boolean;
}

/** Writes the hand-made folders (optionally edited) under a new temporary folder. */
export function writeHandmade(edits: HandmadeEdits = {}): Handmade {
  const root = tempDir("cohort");
  const gz = edits.gzip === false ? "" : ".gz";
  const mimicCxr = path.join(root, "mimic-cxr-jpg", "2.0.0");
  const mimicIv = path.join(root, "mimiciv");
  const iv = mimicIvTables(edits.layout ?? "v2");
  const file = (dir: string, table: MimicTable) => path.join(dir, `${table.stem}.csv${gz}`);
  const metadata = edits.metadata ?? METADATA;
  writeCsv(
    file(mimicCxr, MIMIC_CXR_TABLES.metadata),
    edits.metadataHeader ?? [
      "dicom_id",
      "subject_id",
      "study_id",
      "StudyDate",
      "StudyTime",
      "ViewPosition",
      "PatientOrientationCodeSequence_CodeMeaning",
    ],
    metadata,
  );
  writeCsv(
    file(mimicCxr, MIMIC_CXR_TABLES.chexpert),
    MIMIC_CXR_TABLES.chexpert.columns,
    edits.chexpert ?? chexpertRows(),
  );
  const split =
    edits.split ?? metadata.filter((m) => m[0] !== "d15").map((m) => [m[0], m[2], m[1], SPLIT_OF[m[1] as number]]);
  writeCsv(file(mimicCxr, MIMIC_CXR_TABLES.split), MIMIC_CXR_TABLES.split.columns, split);
  writeCsv(file(mimicIv, iv.patients), iv.patients.columns, edits.patients ?? PATIENTS);
  writeCsv(
    file(mimicIv, iv.admissions),
    ["subject_id", "hadm_id", "admittime", "dischtime", "hospital_expire_flag"],
    edits.admissions ?? ADMISSIONS,
  );
  writeCsv(file(mimicIv, iv.icustays), iv.icustays.columns, ICUSTAYS);
  return { mimicCxr, mimicIv, split: "official" };
}
