/**
 * Checks of the data as a whole, once the cohort's table is made (issue 19 items 4 and 11): a table
 * with only its header is an error, not a 0-row cohort or an all-zero EHR feature; an empty cohort is
 * an error that says why every image was left out; impossible ages are left out and counted; a
 * patient with images in two splits is a loud warning with the count (never an id).
 */
import type * as aq from "arquero";
import { InputError } from "../util/errors";
import type { Reporter } from "./buildReport";

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
  const age = table.array("age") as ArrayLike<number>;
  const keep: number[] = [];
  for (let i = 0; i < age.length; i++) if (age[i] >= PLAUSIBLE_AGES.min && age[i] <= PLAUSIBLE_AGES.max) keep.push(i);
  const out = age.length - keep.length;
  const reason = `age outside [${PLAUSIBLE_AGES.min}, ${PLAUSIBLE_AGES.max}] (anchor_age or anchor_year wrong)`;
  rep.note("plausible ages", "images", age.length, keep.length, out > 0 ? { [reason]: out } : {});
  if (out === 0) return table;
  rep.warn(`${out} image(s) left out: ${reason}.`);
  return table.reify(keep);
}

/** A warning (in `rep`, printed) when patients have images in more than one split: the splits leak. */
function warnOfSharedPatients(table: aq.ColumnTable, rep: Reporter): void {
  const subject = table.array("subject_id") as ArrayLike<number>;
  const split = table.array("split") as ArrayLike<string>;
  const splitsOf = new Map<number, Set<string>>();
  for (let i = 0; i < subject.length; i++) {
    const s = splitsOf.get(subject[i]) ?? new Set<string>();
    s.add(split[i]);
    splitsOf.set(subject[i], s);
  }
  const pairs = new Map<string, number>();
  for (const s of splitsOf.values()) {
    if (s.size < 2) continue;
    const names = [...s].sort().join(" and ");
    pairs.set(names, (pairs.get(names) ?? 0) + 1);
  }
  for (const [names, n] of pairs)
    rep.warn(
      `${n} patient(s) have images in both ${names}: results on the later split are optimistic (the model saw ` +
        `those patients). Check the split file, or split by patient (split: random).`,
    );
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
