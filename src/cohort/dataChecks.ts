/**
 * Checks of the data as a whole, once the cohort's table is made (issue 19 items 4 and 11): a table
 * with only its header is an error, not a 0-row cohort or an all-zero EHR feature; an empty cohort is
 * an error that says why every image was left out; impossible ages are left out and counted; a
 * patient with images in two splits is a loud warning with the count (never an id).
 */
import type * as aq from "arquero";
import { InputError } from "../util/errors";
import type { Reporter } from "./buildReport";
import { IdIndex } from "./idIndex";

/** The ages a patient can have; outside them the MIMIC row is wrong, not the patient old. */
export const PLAUSIBLE_AGES = { min: 0, max: 120 } as const;

/** A table read: its file (or database table) and its number of data rows. */
export interface TableSize {
  file: string;
  rows: number;
}

/** The tables whose rows the cohort needs; each names what an empty one would silently do. */
export interface CheckedTables {
  meta: TableSize;
  chex: TableSize;
  pat: TableSize;
  adm: TableSize;
  icu: TableSize;
}

const EMPTY_MEANS: Record<keyof CheckedTables, string> = {
  meta: "no image would be in the cohort",
  chex: "no image would have labels",
  pat: "no image would have a patient",
  adm: "every image's mortality would be 0",
  icu: "every image's icu would be 0",
};

/**
 * Checks `table` (the cohort just made from `t`) and returns it without the rows of impossible ages,
 * each counted in `rep`; throws an InputError for a header-only table or an empty cohort.
 */
export function checkCohortData(table: aq.ColumnTable, t: CheckedTables, rep: Reporter): aq.ColumnTable {
  for (const k of Object.keys(EMPTY_MEANS) as (keyof CheckedTables)[]) {
    if (t[k].rows === 0)
      throw new InputError({
        file: t[k].file,
        expected: "at least one data row",
        found: "only a header",
        hint: `Without its rows ${EMPTY_MEANS[k]}. Check that the file was copied whole.`,
      });
  }
  const kept = withPlausibleAges(table, rep);
  if (kept.numRows() === 0) throw emptyCohort(t.meta.file, rep);
  warnOfSharedPatients(kept, rep);
  return kept;
}

/** `table` without the rows whose age is outside PLAUSIBLE_AGES, the step noted in `rep`. */
function withPlausibleAges(table: aq.ColumnTable, rep: Reporter): aq.ColumnTable {
  const age = columnValues(table, "age") as ArrayLike<number>;
  const plausible = (a: number) => a >= PLAUSIBLE_AGES.min && a <= PLAUSIBLE_AGES.max;
  let kept = 0;
  for (let i = 0; i < age.length; i++) if (plausible(age[i])) kept++;
  const out = age.length - kept;
  const reason = `age outside [${PLAUSIBLE_AGES.min}, ${PLAUSIBLE_AGES.max}] (anchor_age or anchor_year wrong)`;
  rep.note("plausible ages", "images", age.length, kept, out > 0 ? { [reason]: out } : {});
  if (out === 0) return table;
  rep.warn(`${out} image(s) left out: ${reason}.`);
  const keep: number[] = [];
  for (let i = 0; i < age.length; i++) if (plausible(age[i])) keep.push(i);
  return table.reify(keep);
}

/** A warning (in `rep`, printed) when patients have images in more than one split: the splits leak. */
function warnOfSharedPatients(table: aq.ColumnTable, rep: Reporter): void {
  const subject = columnValues(table, "subject_id") as ArrayLike<number>;
  const split = columnValues(table, "split") as ArrayLike<string>;
  // Each patient (numbered in order of first image) and split name (a bit) in typed arrays: a Set per
  // patient in a Map had cost 40 ms on the full-size cohort.
  const patientOf = new IdIndex(subject.length);
  const splitsOf = new Uint32Array(subject.length);
  const names: string[] = [];
  let patients = 0;
  let p = -1;
  let bit = -1;
  for (let i = 0; i < subject.length; i++) {
    // A patient's images mostly come one after another, and in one split: look up only changes.
    if (i === 0 || subject[i] !== subject[i - 1]) {
      const seen = patientOf.add(subject[i], patients);
      p = seen >= 0 ? seen : patients++;
    }
    if (i === 0 || split[i] !== split[i - 1]) {
      bit = names.indexOf(split[i]);
      if (bit < 0) bit = names.push(split[i]) - 1;
    }
    splitsOf[p] |= 1 << bit;
  }
  const pairs = new Map<string, number>();
  for (let p = 0; p < patients; p++) {
    const mask = splitsOf[p];
    if ((mask & (mask - 1)) === 0) continue;
    const both = names
      .filter((_, bit) => mask & (1 << bit))
      .sort()
      .join(" and ");
    pairs.set(both, (pairs.get(both) ?? 0) + 1);
  }
  for (const [both, n] of pairs)
    rep.warn(
      `${n} patient(s) have images in both ${both}: results on the later split are optimistic (the model saw ` +
        `those patients). Check the split file, or split by patient (split: random).`,
    );
}

/**
 * The values of column `name` in row order: the column's own array where the table has no filter or
 * order (arquero's `array` copies it value by value, some 10 ms a column on the full-size cohort).
 */
export function columnValues(table: aq.ColumnTable, name: string): ArrayLike<unknown> {
  const column = table.column(name) as unknown;
  const plain = Array.isArray(column) || ArrayBuffer.isView(column);
  return plain && !table.isFiltered() && !table.isOrdered() ? (column as ArrayLike<unknown>) : table.array(name);
}

function emptyCohort(file: string, rep: Reporter): InputError {
  const reasons = Object.entries(rep.finish({}).dropped)
    .sort((a, b) => b[1] - a[1])
    .map(([why, n]) => `${why}: ${n}`);
  return new InputError({
    file,
    expected: "a cohort of at least one image",
    found: `none left (${reasons.join("; ") || "no image read"})`,
    hint: "Every image was left out for the reasons counted; check the folders and options given.",
  });
}
