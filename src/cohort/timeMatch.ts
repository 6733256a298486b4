/**
 * The time-match step of `cohort.build`: each image's study matched to a hospital admission (for
 * in-hospital mortality) and to ICU stays, under the `stayMatch` rule. Admissions and stays that cannot
 * be matched (no subject, a time missing or out of order) are set aside and counted.
 */
import { InputError, describeValue } from "../util/errors";
import type { StayMatch } from "./types";
import type { CsvColumns } from "./csv";
import type { Reporter } from "./buildReport";
import type { MimicTables } from "./readTables";
import { indexIntervals, matchAdmissions, matchIcu } from "./stays";

/** Per kept image (in the order of `rows`): its admission row (-1 for none) and whether it was taken in the ICU. */
export interface StayMatches {
  admission: Int32Array;
  inIcu: Uint8Array;
}

/** Steps "usable admissions", "usable ICU stays" and "stays (<rule>)". */
export function timeMatch(t: MimicTables, rows: Int32Array, rule: StayMatch, rep: Reporter): StayMatches {
  const { adm, icu } = t;
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
  const rowSubject = pick(rows, t.meta.numbers.subject_id);
  const rowTime = pick(rows, t.time);
  const admission = matchAdmissions(admIndex, adm.numbers.hadm_id, rowSubject, rowTime, rule);
  const inIcu = matchIcu(icuIndex, rowSubject, rowTime, rule);
  rep.note(`stays (${rule})`, "images", rows.length, rows.length);
  return { admission, inIcu };
}

/** `src[rows[k]]` for every k. */
function pick(rows: Int32Array, src: Float64Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = src[rows[k]];
  return out;
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
