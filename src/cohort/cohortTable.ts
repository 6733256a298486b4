/**
 * The last step of `cohort.build`: the cohort's arquero table, one row per kept image, its columns in
 * the documented order (ids, split, path, the 14 labels, the EHR fields).
 */
import * as aq from "arquero";
import { SPLIT_NAMES } from "./types";
import type { ImageLayout } from "./types";
import type { EhrFields } from "./ehrFields";
import { POSITION_CODES, VIEW_CODES } from "./impute";
import { PathColumn } from "./paths";

/** Per metadata row: what the earlier steps found (read at the kept rows only). */
export interface ImageFields {
  dicom: readonly string[];
  subject: Float64Array;
  study: Float64Array;
  /** StudyDate, YYYYMMDD. */
  ymd: Float64Array;
  split: Int8Array;
  viewCode: Int8Array;
  posCode: Int8Array;
  viewMissing: Uint8Array;
  posMissing: Uint8Array;
  ehr: EhrFields;
}

/** The table of the images `rows`, with `labels` (already in row order) and paths under `images`. */
export function cohortTable(
  rows: Int32Array,
  f: ImageFields,
  labels: Record<string, Float32Array>,
  images: { root: string; layout: ImageLayout },
): aq.ColumnTable {
  // Filled in one pass over the kept rows: a helper called once per column is 5x slower here, its
  // reads from a dozen kinds of array being polymorphic.
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
  const { dicom, subject, study, ymd, split, viewCode, posCode, viewMissing, posMissing } = f;
  const { age, male, icu, died, hadm } = f.ehr;
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
    icuOut[k] = icu[i];
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
    path: new PathColumn(images.root, images.layout, subjectId, studyId, dicomId),
    ...labels,
    ...fields,
  };
  return aq.table(columns as Record<string, unknown[]>);
}
