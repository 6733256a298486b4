/**
 * The features step of `cohort.build`: each kept image's EHR fields from its patient and its matched
 * stays (method-reference §12.3): age at the study, sex, ICU stay, in-hospital mortality, hadm_id.
 */
import type { MimicTables } from "./readTables";
import type { StayMatches } from "./timeMatch";

/** EHR fields indexed by metadata row (set on the kept rows only). */
export interface EhrFields {
  /** Study year minus the patient's anchor year of birth (anchor_year - anchor_age), as the authors compute it. */
  age: Float64Array;
  male: Uint8Array;
  icu: Uint8Array;
  died: Uint8Array;
  hadm: (number | null)[];
}

/** The fields of the images `rows` (`matches` in the same order), their patients given by `patient`. */
export function ehrFields(t: MimicTables, rows: Int32Array, patient: Int32Array, matches: StayMatches): EhrFields {
  const n = t.meta.rows;
  const ymd = t.meta.numbers.StudyDate;
  const { anchor_year: anchorYear, anchor_age: anchorAge } = t.pat.numbers;
  const { hospital_expire_flag: expire, hadm_id: hadmId } = t.adm.numbers;
  const age = new Float64Array(n);
  const male = new Uint8Array(n);
  const icu = new Uint8Array(n);
  const died = new Uint8Array(n);
  const hadm = new Array<number | null>(n);
  rows.forEach((i, k) => {
    const p = patient[i];
    const a = matches.admission[k];
    age[i] = Math.floor(ymd[i] / 10000) - (anchorYear[p] - anchorAge[p]);
    male[i] = t.gender[p];
    icu[i] = matches.inIcu[k];
    died[i] = a >= 0 ? expire[a] : 0;
    // A matched admission's blank hadm_id (NaN) is null, as in the SQL engine and the pandas reference.
    hadm[i] = a >= 0 && !Number.isNaN(hadmId[a]) ? hadmId[a] : null;
  });
  return { age, male, icu, died, hadm };
}
