/**
 * Admissions of a subject that tie on admittime, some with a blank hadm_id, worked out by hand: the
 * larger hadm_id wins, a blank loses to any number, and between blanks the earlier row of
 * admissions.csv wins. The same from both engines under every stay rule, and the same as the pandas
 * and polars references (test/golden/cohort_reference.py, bench/python/cohort_polars.py) give on
 * these tables.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { build } from "../../src/cohort";
import type { StayMatch } from "../../src/cohort";
import { CHEXPERT_LABELS } from "../../src/util/labels";
import { writeHandmade, type Rows } from "./handmade";

const ADMIT = "2150-03-10 08:00:00";
const DISCHARGE = "2150-03-15 10:00:00";
/** A study on 2150-03-12 at 12:00, which every admission below holds by date and by time. */
const STUDY_DATE = 21500312;

interface Case {
  what: string;
  /** The subject's admissions in file order: hadm_id ("" for blank), hospital_expire_flag, admittime. */
  admissions: [number | "", number, string?][];
  /** The hadm_id (null: blank) and mortality its image gets. */
  expected: [number | null, number];
}

const CASES: Case[] = [
  {
    what: "blank first, then a number",
    admissions: [
      ["", 1],
      [20000011, 0],
    ],
    expected: [20000011, 0],
  },
  {
    what: "a number, then blank",
    admissions: [
      [20000021, 0],
      ["", 1],
    ],
    expected: [20000021, 0],
  },
  {
    what: "blank between two numbers",
    admissions: [
      [20000031, 1],
      ["", 1],
      [20000032, 0],
    ],
    expected: [20000032, 0],
  },
  {
    what: "two blanks: the earlier row",
    admissions: [
      ["", 1],
      ["", 0],
    ],
    expected: [null, 1],
  },
  {
    what: "two blanks, other order",
    admissions: [
      ["", 0],
      ["", 1],
    ],
    expected: [null, 0],
  },
  {
    what: "a blank admitted later still wins on admittime",
    admissions: [
      [20000061, 0, "2150-03-09 08:00:00"],
      ["", 1],
    ],
    expected: [null, 1],
  },
];

const subjectOf = (k: number) => 10000011 + k;
const studyOf = (k: number) => 50000011 + k;
const dicomOf = (k: number) => `t${k + 1}`;

const dirs = writeHandmade({
  patients: CASES.map((_, k) => [subjectOf(k), "M", 50, 2150, "2011 - 2013", ""]),
  admissions: CASES.flatMap((c, k): Rows =>
    c.admissions.map(([hadm, died, admit]) => [subjectOf(k), hadm, admit ?? ADMIT, DISCHARGE, died]),
  ),
  metadata: CASES.map((_, k) => [dicomOf(k), subjectOf(k), studyOf(k), STUDY_DATE, "120000.0", "PA", "Erect"]),
  chexpert: CASES.map((_, k) => [subjectOf(k), studyOf(k), ...CHEXPERT_LABELS.map(() => "1.0")]),
  split: CASES.map((_, k) => [dicomOf(k), studyOf(k), subjectOf(k), "train"]),
});

for (const engine of ["js", "duckdb"] as const)
  for (const stayMatch of ["date", "datetime", "last-admission"] as StayMatch[])
    test(`tied admittimes with blank hadm_ids: ${engine} engine, ${stayMatch}`, async () => {
      const c = await build({ ...dirs, engine, stayMatch, quiet: true });
      assert.deepEqual(
        c.table.array("dicom_id"),
        CASES.map((_, k) => dicomOf(k)),
      );
      const hadm = c.table.array("hadm_id") as (number | null)[];
      const died = c.table.array("mortality") as number[];
      CASES.forEach((tie, k) => assert.deepEqual([hadm[k], died[k]], tie.expected, tie.what));
    });
