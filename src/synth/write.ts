/**
 * Writes a synthetic population as the MIMIC-IV and MIMIC-CXR-JPG files, with their real file names,
 * column names and value formats, plus a truth file for tests (never read by the cohort builder).
 */
import * as path from "path";
import { csvField, writeCsv } from "./csv";
import type { Population, View } from "./population";
import { formatDate, formatStudyTime, formatTimestamp, ymdOf, SECONDS_PER_DAY } from "../mimic/time";
import {
  MIMIC_CXR_TABLES,
  mimicIvTables,
  physionetFolders,
  type MimicIvVersion,
  type MimicTable,
} from "../mimic/layout";

/** Where the files of a synthetic dataset live under its root folder: PhysioNet's folders and a truth file. */
export function synthPaths(dir: string, layout: MimicIvVersion): { mimicCxr: string; mimicIv: string; truth: string } {
  return { ...physionetFolders(dir, layout), truth: path.join(dir, "synth-truth.csv.gz") };
}

const STUDY_DESCRIPTION = { portable: "CHEST (PORTABLE AP)", pa: "CHEST (PA AND LAT)" } as const;
const VIEW_MEANING: Record<View, string> = {
  PA: "postero-anterior",
  AP: "antero-posterior",
  LATERAL: "lateral",
  LL: "left lateral",
};
const INSURANCE = ["Medicare", "Medicaid", "Other"];
const LANGUAGE = ["ENGLISH", "ENGLISH", "ENGLISH", "?"];
const MARITAL = ["MARRIED", "SINGLE", "WIDOWED", "DIVORCED", ""];
const RACE = [
  "WHITE",
  "WHITE",
  "BLACK/AFRICAN AMERICAN",
  "HISPANIC/LATINO - PUERTO RICAN",
  "ASIAN",
  "OTHER",
  "UNKNOWN",
];
const LOCATION = [
  "EMERGENCY ROOM",
  "PHYSICIAN REFERRAL",
  "TRANSFER FROM HOSPITAL",
  "WALK-IN/SELF REFERRAL",
  "CLINIC REFERRAL",
];
const DISCHARGE = ["HOME", "HOME HEALTH CARE", "SKILLED NURSING FACILITY", "REHAB", "CHRONIC/LONG TERM ACUTE CARE"];

function labelText(v: number): string {
  return Number.isNaN(v) ? "" : v === 1 ? "1.0" : v === 0 ? "0.0" : "-1.0";
}

const ts = (t: number) => (Number.isNaN(t) ? "" : formatTimestamp(t));

export interface WrittenFile {
  file: string;
  rows: number;
  bytes: number;
}

/** Writes every table (concurrently) and returns the files with their row counts and sizes. */
export async function writeMimic(
  pop: Population,
  dir: string,
  opts: { layout: MimicIvVersion; gzip: boolean },
): Promise<WrittenFile[]> {
  const { mimicCxr, mimicIv, truth } = synthPaths(dir, opts.layout);
  const gz = opts.gzip ? ".gz" : "";
  const { patients, admissions, icuStays, studies, images } = pop;
  const iv = mimicIvTables(opts.layout);
  const write = (dir: string, table: MimicTable, rows: Iterable<string>) =>
    writeCsv(path.join(dir, `${table.stem}.csv${gz}`), table.columns, rows);

  function* metadata(): Iterable<string> {
    for (const im of images) {
      const s = studies[im.study];
      const view = im.viewWritten;
      yield [
        im.dicomId,
        patients[s.patient].subjectId,
        s.studyId,
        STUDY_DESCRIPTION[s.kind],
        csvField(view),
        im.rows,
        im.columns,
        ymdOf(s.time),
        formatStudyTime(s.time),
        STUDY_DESCRIPTION[s.kind],
        view === "" ? "" : VIEW_MEANING[im.view],
        im.positionWritten,
      ].join(",");
    }
  }
  function* chexpert(): Iterable<string> {
    for (const s of studies) {
      if (s.hasLabelRow) yield `${patients[s.patient].subjectId},${s.studyId},${s.labels.map(labelText).join(",")}`;
    }
  }
  function* split(): Iterable<string> {
    for (const im of images) {
      const s = studies[im.study];
      const p = patients[s.patient];
      yield `${im.dicomId},${s.studyId},${p.subjectId},${p.split}`;
    }
  }
  function* patientRows(): Iterable<string> {
    for (const p of patients) {
      if (!p.inPatientsFile) continue;
      yield `${p.subjectId},${p.genderWritten},${p.anchorAge},${p.anchorYear},${p.anchorYearGroup},${Number.isNaN(p.death) ? "" : formatDate(p.death)}`;
    }
  }
  function* admissionRows(): Iterable<string> {
    for (const a of admissions) {
      const p = patients[a.patient];
      const h = a.hadmId;
      const fields: (string | number)[] = [
        p.subjectId,
        h,
        ts(a.admit),
        ts(a.disch),
        a.expire ? ts(a.disch) : "",
        a.type,
      ];
      if (opts.layout === "v2") fields.push(`P${(h % 1679616).toString(36).toUpperCase().padStart(4, "0")}`);
      fields.push(
        Number.isNaN(a.edreg) ? LOCATION[1 + (h % 4)] : LOCATION[0],
        a.expire ? "DIED" : DISCHARGE[h % DISCHARGE.length],
        INSURANCE[h % 3],
        LANGUAGE[(h >> 2) % 4],
        MARITAL[(h >> 3) % 5],
        RACE[(h >> 5) % 7],
        ts(a.edreg),
        Number.isNaN(a.edreg) ? "" : ts(a.admit),
        a.expire,
      );
      yield fields.map(csvField).join(",");
    }
  }
  function* icuRows(): Iterable<string> {
    for (const s of icuStays) {
      const a = admissions[s.admission];
      const los = (s.outtime - s.intime) / SECONDS_PER_DAY;
      yield [
        patients[a.patient].subjectId,
        a.hadmId,
        s.stayId,
        s.careunit,
        s.careunit,
        ts(s.intime),
        ts(s.outtime),
        los.toFixed(6).replace(/0+$/, "").replace(/\.$/, ""),
      ]
        .map(csvField)
        .join(",");
    }
  }
  function* truthRows(): Iterable<string> {
    for (const im of images) {
      const s = studies[im.study];
      const p = patients[s.patient];
      yield [
        im.dicomId,
        p.subjectId,
        s.studyId,
        p.split,
        im.view,
        im.position,
        p.gender,
        s.age,
        s.icu,
        s.died,
        s.admission >= 0 ? admissions[s.admission].hadmId : "",
        s.edge,
      ].join(",");
    }
  }

  return Promise.all([
    write(mimicCxr, MIMIC_CXR_TABLES.metadata, metadata()),
    write(mimicCxr, MIMIC_CXR_TABLES.chexpert, chexpert()),
    write(mimicCxr, MIMIC_CXR_TABLES.split, split()),
    write(mimicIv, iv.patients, patientRows()),
    write(mimicIv, iv.admissions, admissionRows()),
    write(mimicIv, iv.icustays, icuRows()),
    writeCsv(
      truth,
      [
        "dicom_id",
        "subject_id",
        "study_id",
        "split",
        "view",
        "position",
        "sex",
        "age",
        "icu",
        "mortality",
        "hadm_id",
        "edge",
      ],
      truthRows(),
    ),
  ]);
}
