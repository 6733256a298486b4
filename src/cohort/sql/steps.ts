/**
 * The cohort's rules as DuckDB SQL, one query per step of `cohort.build` (the same steps, names and
 * reasons as the JavaScript engine: joinImages, assignSplit, timeMatch, ehrFields, labels).
 *
 * The queries read six relations that sql/inputs.ts defines over the source, one row per table row
 * (`row`: its 0-based place in the file or table, INTEGER), ids and numbers as DOUBLE, text as VARCHAR
 * ('' for blank), times as seconds since 1970 (DOUBLE):
 *   metadata(row, dicom_id, subject_id, study_id, StudyDate, StudyTime, ViewPosition,
 *            PatientOrientationCodeSequence_CodeMeaning)
 *   chexpert(row, study_id, "Atelectasis", ... the 14 labels)     split(row, dicom_id, split)
 *   patients(row, subject_id, gender, anchor_age, anchor_year)
 *   admissions(row, subject_id, hadm_id, admittime, dischtime, hospital_expire_flag)
 *   icustays(row, subject_id, intime, outtime)
 * and two variables: `SET VARIABLE stay_match = 'date';` ('date' | 'datetime' | 'last-admission') and
 * `SET VARIABLE uncertain = 'zeros';` ('zeros' | 'ones' | 'ignore'). With those in place, each query
 * below runs as printed (`console.log(COHORT_STEPS.images)`) in the DuckDB shell.
 */
import { CHEXPERT_LABELS, IGNORE_LABEL } from "../../util/labels";
import { SECONDS_PER_DAY } from "../../mimic/time";
import { SPLIT_NAMES } from "../types";
import { POSITION_CODES, VIEW_CODES } from "../impute";

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
export const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The index of `text` in `vocabulary`, -1 for blank, -2 for another value (tableChecks.recode in SQL). */
function codeOf(text: string, vocabulary: readonly string[]): string {
  const whens = vocabulary.map((v, k) => `WHEN ${quote(v)} THEN ${k}`).join(" ");
  return `CASE ${text} ${whens} WHEN '' THEN -1 ELSE -2 END`;
}

/** The images steps, in order: each image's first failing step is the one that leaves it out. */
export const IMAGE_STEPS = ["patients", "view and position codes", "labels", "split"] as const;

const day = (t: string) => `floor(${t} / ${SECONDS_PER_DAY})`;

/** The queries, in the order they run. */
export const COHORT_STEPS = {
  /**
   * Steps "patients", "view and position codes", "labels" and "split": every metadata row joined to
   * its patient, its study's CheXpert row (`label_row`) and its split, with the step that leaves it
   * out and why (NULL when kept). `time`: the study's date and time in seconds since 1970
   * (mimic/time.ts). Narrow on purpose: the labels are read from their own table (`labels` below) and
   * the ids from metadata, as carrying them through the joins and a sort had cost more than the joins.
   */
  images: `
CREATE OR REPLACE TEMP TABLE images AS
WITH m AS (
  SELECT row, dicom_id, subject_id, study_id, StudyDate, ViewPosition, PatientOrientationCodeSequence_CodeMeaning,
    ${codeOf("ViewPosition", VIEW_CODES)} AS view_code,
    ${codeOf("PatientOrientationCodeSequence_CodeMeaning", POSITION_CODES)} AS pos_code,
    epoch(make_date(CAST(floor(StudyDate / 10000) AS BIGINT), CAST(floor(StudyDate / 100) % 100 AS BIGINT),
      CAST(StudyDate % 100 AS BIGINT)))
      + (floor(StudyTime / 10000) * 3600 + (floor(StudyTime / 100) % 100) * 60
         + ((floor(StudyTime) % 100) + (StudyTime - floor(StudyTime)))) AS time
  FROM metadata
)
SELECT m.row, m.subject_id, m.study_id, m.StudyDate, m.time, m.view_code, m.pos_code,
  p.anchor_year - p.anchor_age AS anchor_birth_year,
  CASE p.gender WHEN 'M' THEN 1 ELSE 0 END AS male,
  c.row AS label_row,
  ${codeOf("s.split", SPLIT_NAMES)} AS split_code,
  CASE
    WHEN p.row IS NULL OR p.gender = '' THEN 0
    WHEN m.view_code = -2 OR m.pos_code = -2 THEN 1
    WHEN c.row IS NULL THEN 2
    WHEN s.row IS NULL THEN 3
  END AS left_out_step,
  CASE
    WHEN p.row IS NULL THEN 'subject not in MIMIC-IV patients'
    WHEN p.gender = '' THEN 'missing gender'
    WHEN m.view_code = -2 THEN 'view code outside PA, AP, LATERAL, LL (' || m.ViewPosition || ')'
    WHEN m.pos_code = -2
      THEN 'position outside Erect, Recumbent (' || m.PatientOrientationCodeSequence_CodeMeaning || ')'
    WHEN c.row IS NULL THEN 'study without a CheXpert label row'
    WHEN s.row IS NULL THEN 'image not in the split file'
  END AS left_out_reason
FROM m
LEFT JOIN patients p ON p.subject_id = m.subject_id
LEFT JOIN chexpert c ON c.study_id = m.study_id
LEFT JOIN split s ON s.dicom_id = m.dicom_id`,
  /**
   * Step "usable admissions": admissions that can be matched; the others counted by reason. A view:
   * the match and the counts each scan it once, which costs less than writing it out as a table.
   */
  usableAdmissions: `
CREATE OR REPLACE TEMP VIEW usable_admissions AS
SELECT *,
  CASE
    WHEN subject_id IS NULL OR subject_id <> floor(subject_id) THEN 'no subject_id'
    WHEN admittime IS NULL THEN 'no admittime'
    WHEN dischtime IS NULL THEN 'no dischtime'
    WHEN dischtime < admittime THEN 'dischtime before admittime'
  END AS unusable
FROM admissions`,

  /** Step "usable ICU stays". */
  usableIcuStays: `
CREATE OR REPLACE TEMP VIEW usable_icustays AS
SELECT *,
  CASE
    WHEN subject_id IS NULL OR subject_id <> floor(subject_id) THEN 'no subject_id'
    WHEN intime IS NULL THEN 'no intime'
    WHEN outtime IS NULL THEN 'no outtime'
    WHEN outtime < intime THEN 'outtime before intime'
  END AS unusable
FROM icustays`,

  /**
   * Step "stays (<rule>)", admissions: each image's admission under `stay_match` (types.ts StayMatch):
   * 'date' compares calendar days inclusively and prefers the admission that also holds the time,
   * then the latest admittime, then the larger hadm_id; 'datetime' compares times inclusively;
   * 'last-admission' takes the subject's latest admission whatever the time. A blank (NULL) hadm_id
   * loses to any number; left tied, the first row wins.
   */
  admissionMatch: `
CREATE OR REPLACE TEMP TABLE admission_match AS
SELECT i.row AS image, a.hadm_id, a.hospital_expire_flag
FROM images i
JOIN usable_admissions a ON a.subject_id = i.subject_id AND a.unusable IS NULL
WHERE CASE getvariable('stay_match')
  WHEN 'date' THEN ${day("a.admittime")} <= ${day("i.time")} AND ${day("i.time")} <= ${day("a.dischtime")}
  WHEN 'datetime' THEN a.admittime <= i.time AND i.time <= a.dischtime
  ELSE true
END
QUALIFY row_number() OVER (PARTITION BY i.row ORDER BY
  getvariable('stay_match') = 'date' AND a.admittime <= i.time AND i.time <= a.dischtime DESC,
  a.admittime DESC, a.hadm_id DESC NULLS LAST, a.row) = 1`,

  /** Step "stays (<rule>)", ICU: the images an ICU stay of the subject holds, by time ('datetime') or calendar days. */
  icuMatch: `
CREATE OR REPLACE TEMP TABLE icu_match AS
SELECT DISTINCT i.row AS image
FROM images i
JOIN usable_icustays s ON s.subject_id = i.subject_id AND s.unusable IS NULL
WHERE CASE getvariable('stay_match')
  WHEN 'datetime' THEN s.intime <= i.time AND i.time <= s.outtime
  ELSE ${day("s.intime")} <= ${day("i.time")} AND ${day("i.time")} <= ${day("s.outtime")}
END`,

  /**
   * Step "EHR fields": every metadata row (`row`, in no particular order) with what the earlier steps
   * found and its EHR fields (age: the study year minus the anchor year of birth, as the authors
   * compute it). Each column in the type of the array it is read into (sql/read.ts), NULL as -1 or NaN.
   */
  cohort: `
SELECT i.row,
  ${[
    ["i.subject_id", "DOUBLE", "subject_id"],
    ["i.study_id", "DOUBLE", "study_id"],
    ["i.StudyDate", "DOUBLE", "StudyDate"],
    ["coalesce(i.left_out_step, -1)", "TINYINT", "left_out_step"],
    ["i.split_code", "TINYINT", "split_code"],
    ["i.view_code", "TINYINT", "view_code"],
    ["i.pos_code", "TINYINT", "pos_code"],
    ["coalesce(i.label_row, -1)", "INTEGER", "label_row"],
    ["coalesce(floor(i.StudyDate / 10000) - i.anchor_birth_year, 'NaN'::DOUBLE)", "DOUBLE", "age"],
    ["i.male", "UTINYINT", "male"],
    ["CASE WHEN icu.image IS NULL THEN 0 ELSE 1 END", "UTINYINT", "icu"],
    ["coalesce(am.hospital_expire_flag, 0)", "UTINYINT", "died"],
    ["coalesce(am.hadm_id, 'NaN'::DOUBLE)", "DOUBLE", "hadm_id"],
  ]
    .map(([value, type, name]) => `CAST(${value} AS ${type}) AS ${ident(name)}`)
    .join(",\n  ")}
FROM images i
LEFT JOIN admission_match am ON am.image = i.row
LEFT JOIN icu_match icu ON icu.image = i.row`,

  /**
   * Step "labels": each CheXpert row's 14 labels under `uncertain` (1 -> 1, -1 -> the policy's value,
   * 0 or blank -> 0); an image takes the row `images.label_row`.
   */
  labels: `
SELECT row,
  ${CHEXPERT_LABELS.map(
    (l) => `CAST(CASE ${ident(l)} WHEN 1 THEN 1 WHEN -1 THEN (CASE getvariable('uncertain') WHEN 'zeros' THEN 0
    WHEN 'ones' THEN 1 ELSE ${IGNORE_LABEL} END) ELSE 0 END AS FLOAT) AS ${ident(l)}`,
  ).join(",\n  ")}
FROM chexpert`,
} as const;

/** Rows of a usable_* table counted by why they cannot be matched, in order of first appearance. */
export const unusableCounts = (table: "usable_admissions" | "usable_icustays") => `
SELECT unusable, count(*) AS n FROM ${table} WHERE unusable IS NOT NULL GROUP BY unusable ORDER BY min(row)`;
