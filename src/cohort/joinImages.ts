/**
 * The join step of `cohort.build`: each metadata row (image) joined to its MIMIC-IV patient and its
 * study's CheXpert row, and its view and position recoded; images that cannot be joined, or carry a
 * code outside the vocabulary, are left out and counted.
 */
import type { Reporter } from "./buildReport";
import type { MimicTables } from "./readTables";
import { POSITION_CODES, VIEW_CODES } from "./impute";
import { recode } from "./tableChecks";
import { runLookup } from "./idIndex";

/** The images kept so far and, per metadata row, what they were joined to. */
export interface JoinedImages {
  /** Metadata rows kept, in file order. */
  rows: Int32Array;
  /** Each metadata row's patients row. */
  patient: Int32Array;
  /** Each metadata row's CheXpert row. */
  labelRow: Int32Array;
  /** Index in VIEW_CODES / POSITION_CODES, -1 blank, -2 another value (left out). */
  viewCode: Int8Array;
  posCode: Int8Array;
}

/** Steps "patients", "view and position codes" and "labels". */
export function joinImages(
  t: Pick<MimicTables, "meta" | "patientRow" | "gender" | "labelRow">,
  rep: Reporter,
): JoinedImages {
  const { meta, patientRow, gender, labelRow: labelOf } = t;
  const n = meta.rows;
  const subject = meta.numbers.subject_id;
  const study = meta.numbers.study_id;
  let rows: Int32Array = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  const patient = new Int32Array(n);
  const patientOf = runLookup(patientRow, subject);
  rows = rep.filter("patients", rows, (i) => {
    const p = patientOf(i);
    if (p < 0) return "subject not in MIMIC-IV patients";
    patient[i] = p;
    return gender[p] < 0 ? "missing gender" : undefined;
  });
  const viewCode = recode(meta, "ViewPosition", VIEW_CODES);
  const posCode = recode(meta, "PatientOrientationCodeSequence_CodeMeaning", POSITION_CODES);
  const viewText = meta.categories.ViewPosition;
  const posText = meta.categories.PatientOrientationCodeSequence_CodeMeaning;
  rows = rep.filter("view and position codes", rows, (i) => {
    if (viewCode[i] === -2) return `view code outside PA, AP, LATERAL, LL (${viewText.values[viewText.codes[i]]})`;
    if (posCode[i] === -2) return `position outside Erect, Recumbent (${posText.values[posText.codes[i]]})`;
    return undefined;
  });
  const labelRow = new Int32Array(n);
  const labelRowOf = runLookup(labelOf, study);
  rows = rep.filter("labels", rows, (i) => {
    const r = labelRowOf(i);
    if (r < 0) return "study without a CheXpert label row";
    labelRow[i] = r;
    return undefined;
  });
  return { rows, patient, labelRow, viewCode, posCode };
}
