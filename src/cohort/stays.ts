/**
 * Matching studies to hospital admissions (in-hospital mortality) and ICU stays by time.
 *
 * Hand-written rather than an arquero join: arquero has no interval join, and joining every study to
 * every admission of its subject, then filtering, materialises ~1.5M rows at MIMIC's size; indexing
 * the stays by subject and scanning the few stays of each study's subject is linear.
 */
import type { StayMatch } from "./types";
import { SECONDS_PER_DAY } from "../synth/time";

/** Intervals (admissions or ICU stays) grouped by subject. */
export interface IntervalIndex {
  start: Float64Array;
  end: Float64Array;
  /** Row indices sorted by subject, then start. */
  order: Int32Array;
  /** subject_id -> [from, to) in `order`. */
  bySubject: Map<number, [number, number]>;
}

/** Groups the rows whose `keep` is set by subject (rows left out are the ones already counted as unusable). */
export function indexIntervals(subject: Float64Array, start: Float64Array, end: Float64Array, keep: Uint8Array): IntervalIndex {
  const rows: number[] = [];
  for (let i = 0; i < subject.length; i++) if (keep[i]) rows.push(i);
  rows.sort((a, b) => subject[a] - subject[b] || start[a] - start[b]);
  const order = Int32Array.from(rows);
  const bySubject = new Map<number, [number, number]>();
  for (let k = 0; k < order.length; ) {
    const s = subject[order[k]];
    let j = k + 1;
    while (j < order.length && subject[order[j]] === s) j++;
    bySubject.set(s, [k, j]);
    k = j;
  }
  return { start, end, order, bySubject };
}

const day = (t: number) => Math.floor(t / SECONDS_PER_DAY);

/**
 * The admission (row index, -1 for none) of each study under `rule` (see StayMatch):
 * `date` compares calendar days inclusively and, among several, prefers the admission that also
 * holds the time, then the latest admittime, then the larger hadm_id; `datetime` compares times
 * inclusively (latest admittime, then larger hadm_id); `last-admission` takes the subject's latest
 * admission whatever the time.
 */
export function matchAdmissions(
  adm: IntervalIndex, hadmId: Float64Array, subject: ArrayLike<number>, time: ArrayLike<number>, rule: StayMatch,
): Int32Array {
  const out = new Int32Array(subject.length).fill(-1);
  for (let i = 0; i < subject.length; i++) {
    const range = adm.bySubject.get(subject[i]);
    if (!range) continue;
    const t = time[i];
    const d = day(t);
    let best = -1;
    let bestIn = false;
    for (let k = range[0]; k < range[1]; k++) {
      const a = adm.order[k];
      const inTime = adm.start[a] <= t && t <= adm.end[a];
      const holds = rule === "date" ? day(adm.start[a]) <= d && d <= day(adm.end[a]) : rule === "datetime" ? inTime : true;
      if (!holds) continue;
      const prefer = rule === "date" && inTime !== bestIn ? inTime : adm.start[a] > adm.start[best] || (adm.start[a] === adm.start[best] && hadmId[a] > hadmId[best]);
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
export function matchIcu(icu: IntervalIndex, subject: ArrayLike<number>, time: ArrayLike<number>, rule: StayMatch): Uint8Array {
  const out = new Uint8Array(subject.length);
  for (let i = 0; i < subject.length; i++) {
    const range = icu.bySubject.get(subject[i]);
    if (!range) continue;
    const t = time[i];
    const d = day(t);
    for (let k = range[0]; k < range[1]; k++) {
      const s = icu.order[k];
      if (rule === "datetime" ? icu.start[s] <= t && t <= icu.end[s] : day(icu.start[s]) <= d && d <= day(icu.end[s])) {
        out[i] = 1;
        break;
      }
    }
  }
  return out;
}
