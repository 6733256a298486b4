/**
 * The layout of MIMIC-CXR-JPG 2.0.0 and MIMIC-IV as PhysioNet ships them: folder and file names, the
 * columns of each table, and where each JPEG lies. Written once here, read by the cohort builder and
 * written by the synthetic generator, so the two cannot drift apart (method-reference §12-13).
 */
import * as path from "path";
import { CHEXPERT_LABELS } from "../util/labels";

/** MIMIC-IV's layout: 2.x keeps the hospital tables in `hosp/`, 1.0 in `core/` (and says `ethnicity` for `race`). */
export type MimicIvVersion = "v2" | "v1";
export const MIMIC_IV_VERSIONS: readonly MimicIvVersion[] = ["v2", "v1"];

/** The folder of MIMIC-IV's hospital tables in each layout. */
export const HOSPITAL_MODULE: Record<MimicIvVersion, string> = { v2: "hosp", v1: "core" };

/** A table: its name without `.csv(.gz)`, relative to its dataset's folder, and its columns in file order. */
export interface MimicTable {
  stem: string;
  columns: readonly string[];
}

/** The MIMIC-CXR-JPG tables (under the dataset's `2.0.0/` folder). */
export const MIMIC_CXR_TABLES = {
  metadata: {
    stem: "mimic-cxr-2.0.0-metadata",
    columns: [
      "dicom_id",
      "subject_id",
      "study_id",
      "PerformedProcedureStepDescription",
      "ViewPosition",
      "Rows",
      "Columns",
      "StudyDate",
      "StudyTime",
      "ProcedureCodeSequence_CodeMeaning",
      "ViewCodeSequence_CodeMeaning",
      "PatientOrientationCodeSequence_CodeMeaning",
    ],
  },
  chexpert: { stem: "mimic-cxr-2.0.0-chexpert", columns: ["subject_id", "study_id", ...CHEXPERT_LABELS] },
  split: { stem: "mimic-cxr-2.0.0-split", columns: ["dicom_id", "study_id", "subject_id", "split"] },
} as const satisfies Record<string, MimicTable>;

/** The MIMIC-IV tables the cohort reads, in one layout. */
export function mimicIvTables(version: MimicIvVersion): Record<"patients" | "admissions" | "icustays", MimicTable> {
  const hosp = HOSPITAL_MODULE[version];
  return {
    patients: {
      stem: `${hosp}/patients`,
      columns: ["subject_id", "gender", "anchor_age", "anchor_year", "anchor_year_group", "dod"],
    },
    admissions: {
      stem: `${hosp}/admissions`,
      columns: [
        "subject_id",
        "hadm_id",
        "admittime",
        "dischtime",
        "deathtime",
        "admission_type",
        ...(version === "v2" ? ["admit_provider_id"] : []),
        "admission_location",
        "discharge_location",
        "insurance",
        "language",
        "marital_status",
        version === "v2" ? "race" : "ethnicity",
        "edregtime",
        "edouttime",
        "hospital_expire_flag",
      ],
    },
    icustays: {
      stem: "icu/icustays",
      columns: ["subject_id", "hadm_id", "stay_id", "first_careunit", "last_careunit", "intime", "outtime", "los"],
    },
  };
}

/** A MIMIC-IV table's stem in every layout, newest first (what a reader looks for). */
export function mimicIvStems(table: "patients" | "admissions" | "icustays"): string[] {
  return [...new Set(MIMIC_IV_VERSIONS.map((v) => mimicIvTables(v)[table].stem))];
}

/** The folders of the two datasets under a PhysioNet download root (`physionet.org/files/`). */
export function physionetFolders(root: string, version: MimicIvVersion): { mimicCxr: string; mimicIv: string } {
  return {
    mimicCxr: path.join(root, "mimic-cxr-jpg", "2.0.0"),
    mimicIv: path.join(root, "mimiciv", version === "v2" ? "2.2" : "1.0"),
  };
}

/** The `files` folder of the last root `jpegPath` was given. */
let filesOf = { root: "", files: path.join("", "files") };

/**
 * `files/pXX/pNNNNNNNN/sNNNNNNNN/<dicom_id>.jpg` under the MIMIC-CXR-JPG folder, as `path.join` gives
 * it. The cohort's path column makes 377k of these at once (`cohort.toDanfo`), where `path.join`'s
 * normalising costs about a second: the `files` folder is joined once per root and the segments,
 * which need no normalising unless the id holds a separator, are appended.
 */
export function jpegPath(mimicCxr: string, subjectId: number, studyId: number, dicomId: string): string {
  const p = `p${subjectId}`;
  if (/[\\/]/.test(dicomId)) return path.join(mimicCxr, "files", p.slice(0, 3), p, `s${studyId}`, `${dicomId}.jpg`);
  if (mimicCxr !== filesOf.root) filesOf = { root: mimicCxr, files: path.join(mimicCxr, "files") };
  const sep = path.sep;
  return `${filesOf.files}${sep}${p.slice(0, 3)}${sep}${p}${sep}s${studyId}${sep}${dicomId}.jpg`;
}

/**
 * The MIMIC-IV tables in a database built by MIT-LCP mimic-code (its DuckDB and PostgreSQL build
 * scripts): one schema per module, the tables under their PhysioNet names, times as TIMESTAMP.
 */
export const MIMIC_CODE_TABLES: Record<"patients" | "admissions" | "icustays", { schema: string; table: string }> = {
  patients: { schema: "mimiciv_hosp", table: "patients" },
  admissions: { schema: "mimiciv_hosp", table: "admissions" },
  icustays: { schema: "mimiciv_icu", table: "icustays" },
};

/**
 * The MIMIC-CXR-JPG tables in a database. mimic-code has no build script for MIMIC-CXR (its
 * `mimic-iv-cxr` folder holds DICOM and report tools only), so ehr-msn names them as mimic-code names
 * MIMIC-IV's: schema `mimiciv_cxr`, each table under its file name without the `mimic-cxr-2.0.0-` prefix.
 */
export const MIMIC_CXR_DATABASE_TABLES: Record<"metadata" | "chexpert" | "split", { schema: string; table: string }> = {
  metadata: { schema: "mimiciv_cxr", table: "metadata" },
  chexpert: { schema: "mimiciv_cxr", table: "chexpert" },
  split: { schema: "mimiciv_cxr", table: "split" },
};
