/**
 * Matching studies to hospital admissions (in-hospital mortality) and ICU stays by time.
 *
 * Hand-written rather than an arquero join: arquero has no interval join, and joining every study to
 * every admission of its subject, then filtering, materialises ~1.5M rows at MIMIC's size; indexing
 * the stays by subject and scanning the few stays of each study's subject is linear.
 */
import type { StayMatch } from "./types";
import { SECONDS_PER_DAY } from "../mimic/time";
import { IdIndex, runLookup } from "./idIndex";

/** Intervals (admissions or ICU stays) grouped by subject. */
export interface IntervalIndex {
  start: Float64Array;
  end: Float64Array;
  /** Row indices grouped by subject (in file order within a subject). */
  order: Int32Array;
  /** subject_id -> its group k: rows order[first[k]] .. order[first[k + 1] - 1]. */
  group: IdIndex;
  first: Int32Array;
}

/**
 * Groups the rows whose `keep` is set by subject (rows left out are the ones already counted as
 * unusable), by counting sort: matching scans all of a subject's intervals, so no order is needed within.
 */
export function indexIntervals(
  subject: Float64Array,
  start: Float64Array,
  end: Float64Array,
  keep: Uint8Array,
): IntervalIndex {
  const slot = new IdIndex(subject.length);
  const counts: number[] = [];
  const slotOf = new Int32Array(subject.length).fill(-1);
  for (let i = 0; i < subject.length; i++) {
    if (!keep[i]) continue;
    let k = slot.add(subject[i], counts.length);
    if (k < 0) {
      k = counts.length;
      counts.push(0);
    }
    counts[k]++;
    slotOf[i] = k;
  }
  const first = new Int32Array(counts.length + 1);
  for (let k = 0; k < counts.length; k++) first[k + 1] = first[k] + counts[k];
  const order = new Int32Array(first[counts.length]);
  const fill = first.slice(0, counts.length);
  for (let i = 0; i < subject.length; i++) if (slotOf[i] >= 0) order[fill[slotOf[i]]++] = i;
  return { start, end, order, group: slot, first };
}

const day = (t: number) => Math.floor(t / SECONDS_PER_DAY);

/**
 * Whether hadm_id `x` beats `y` among admissions admitted at the same time: the larger, and any number
 * beats a blank (NaN), which `>` alone would leave to the row order (the SQL engine and the pandas
 * reference put blanks last too).
 */
const largerHadm = (x: number, y: number) => x > y || (Number.isNaN(y) && !Number.isNaN(x));

/**
 * The admission (row index, -1 for none) of each study under `rule` (see StayMatch):
 * `date` compares calendar days inclusively and, among several, prefers the admission that also
 * holds the time, then the latest admittime, then the larger hadm_id; `datetime` compares times
 * inclusively (latest admittime, then larger hadm_id); `last-admission` takes the subject's latest
 * admission whatever the time. A blank hadm_id loses to any number; left tied, the earlier row wins.
 */
export function matchAdmissions(
  adm: IntervalIndex,
  hadmId: Float64Array,
  subject: ArrayLike<number>,
  time: ArrayLike<number>,
  rule: StayMatch,
): Int32Array {
  const out = new Int32Array(subject.length).fill(-1);
  const groupOf = runLookup(adm.group, subject);
  for (let i = 0; i < subject.length; i++) {
    const g = groupOf(i);
    if (g < 0) continue;
    const t = time[i];
    const d = day(t);
    let best = -1;
    let bestIn = false;
    for (let k = adm.first[g]; k < adm.first[g + 1]; k++) {
      const a = adm.order[k];
      const inTime = adm.start[a] <= t && t <= adm.end[a];
      const holds =
        rule === "date" ? day(adm.start[a]) <= d && d <= day(adm.end[a]) : rule === "datetime" ? inTime : true;
      if (!holds) continue;
      const prefer =
        rule === "date" && inTime !== bestIn
          ? inTime
          : adm.start[a] > adm.start[best] || (adm.start[a] === adm.start[best] && largerHadm(hadmId[a], hadmId[best]));
      if (best < 0 || prefer) {
        best = a;
        bestIn = inTime;
      }
    }
    out[i] = best;
  }
  return out;
}

/** 1 when an ICU stay of the subject holds the study: by calendar days (`date`, `last-admission`) or by time (`datetime`), inclusive. */
export function matchIcu(
  icu: IntervalIndex,
  subject: ArrayLike<number>,
  time: ArrayLike<number>,
  rule: StayMatch,
): Uint8Array {
  const out = new Uint8Array(subject.length);
  const groupOf = runLookup(icu.group, subject);
  for (let i = 0; i < subject.length; i++) {
    const g = groupOf(i);
    if (g < 0) continue;
    const t = time[i];
    const d = day(t);
    for (let k = icu.first[g]; k < icu.first[g + 1]; k++) {
      const s = icu.order[k];
      if (rule === "datetime" ? icu.start[s] <= t && t <= icu.end[s] : day(icu.start[s]) <= d && d <= day(icu.end[s])) {
        out[i] = 1;
        break;
      }
    }
  }
  return out;
}
