/**
 * The checks of the tables as read (readTables.ts and tableChecks.ts in the JavaScript engine), as
 * SQL over the relations of sql/inputs.ts: ids present, keys unique, dates, times and codes valid.
 * Each failure is the same InputError: the source, the 1-based row, the column, what was expected.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError, describeValue } from "../../util/errors";
import { CHEXPERT_LABELS } from "../../util/labels";
import { SPLIT_NAMES } from "../types";
import type { SqlTableName } from "./inputs";
import { ident } from "./steps";

const VALUE = "a value (an id or number)";
const whole = (c: string) => `(${c} IS NOT NULL AND isfinite(${c}) AND ${c} = floor(${c}))`;
/** StudyDate a valid YYYYMMDD (mimic/time.ts dayOfYmd), by arithmetic: a date per row costs more. */
const y = "floor(StudyDate / 10000)";
const m = "(floor(StudyDate / 100) % 100)";
const d = "(StudyDate % 100)";
const leap = `(${y} % 4 = 0 AND (${y} % 100 <> 0 OR ${y} % 400 = 0))`;
const studyDate = `(${whole("StudyDate")} AND StudyDate BETWEEN 10000101 AND 99991231 AND ${m} BETWEEN 1 AND 12
  AND ${d} >= 1 AND ${d} <= CASE WHEN ${m} = 2 THEN CASE WHEN ${leap} THEN 29 ELSE 28 END
    WHEN ${m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)`;
/** StudyTime HHMMSS[.fff] valid: mimic/time.ts secondsOfStudyTime. */
const studyTime = `(StudyTime >= 0 AND StudyTime < 240000 AND floor(StudyTime / 100) % 100 < 60
  AND (floor(StudyTime) % 100) + (StudyTime - floor(StudyTime)) < 61)`;

interface Check {
  table: SqlTableName;
  column: string;
  expected: string;
  /** SQL true for a bad row. */
  bad: string;
  /** The number a blank value is shown as (the CSV reader's NaN). */
  numeric?: boolean;
}

/** The value checks, in the order the JavaScript engine makes them. */
const CHECKS: Check[] = [
  { table: "metadata", column: "dicom_id", expected: VALUE, bad: "dicom_id = ''" },
  { table: "metadata", column: "subject_id", expected: VALUE, bad: `NOT ${whole("subject_id")}`, numeric: true },
  { table: "metadata", column: "study_id", expected: VALUE, bad: `NOT ${whole("study_id")}`, numeric: true },
  {
    table: "metadata",
    column: "StudyDate",
    expected: "a date YYYYMMDD",
    bad: `NOT coalesce(${studyDate}, false)`,
    numeric: true,
  },
  {
    table: "metadata",
    column: "StudyTime",
    expected: "a time HHMMSS[.fff]",
    bad: `NOT coalesce(${studyTime}, false)`,
    numeric: true,
  },
  { table: "chexpert", column: "study_id", expected: VALUE, bad: `NOT ${whole("study_id")}`, numeric: true },
  ...CHEXPERT_LABELS.map((l) => ({
    table: "chexpert" as const,
    column: l,
    expected: "1.0, 0.0, -1.0 or blank",
    bad: `${ident(l)} NOT IN (1, 0, -1)`,
  })),
  { table: "patients", column: "subject_id", expected: VALUE, bad: `NOT ${whole("subject_id")}`, numeric: true },
  { table: "patients", column: "anchor_age", expected: VALUE, bad: "NOT isfinite(anchor_age)", numeric: true },
  { table: "patients", column: "anchor_year", expected: VALUE, bad: "NOT isfinite(anchor_year)", numeric: true },
  { table: "patients", column: "gender", expected: "M, F or blank", bad: "gender NOT IN ('M', 'F', '')" },
  {
    table: "split",
    column: "split",
    expected: SPLIT_NAMES.join(", "),
    bad: `split NOT IN (${SPLIT_NAMES.map((s) => `'${s}'`).join(", ")})`,
  },
  {
    table: "admissions",
    column: "hospital_expire_flag",
    expected: "0 or 1",
    bad: "hospital_expire_flag IS NULL OR hospital_expire_flag NOT IN (0, 1)",
    numeric: true,
  },
];

/** Key columns that must not repeat. */
const KEYS: { table: SqlTableName; column: string }[] = [
  { table: "metadata", column: "dicom_id" },
  { table: "chexpert", column: "study_id" },
  { table: "patients", column: "subject_id" },
  { table: "split", column: "dicom_id" },
];

/**
 * The value checks; the first failure is an InputError naming `where[table]`, the row and the column.
 * Reported before a failure of `checkKeys` (the JavaScript engine's order).
 */
export async function checkValues(con: DuckDBConnection, where: Record<SqlTableName, string>): Promise<void> {
  // One scan per table for the first row that fails any check (one filter of ORs: a min() FILTER per
  // check had cost four times as much), then that row's checks: the first that fails is reported.
  for (const table of [...new Set(CHECKS.map((c) => c.table))]) {
    const checks = CHECKS.filter((c) => c.table === table);
    const [[first]] = (
      await con.runAndReadAll(`SELECT min(row) FROM ${table} WHERE ${checks.map((c) => `(${c.bad})`).join(" OR ")}`)
    ).getRows();
    if (first === null) continue;
    const row = Number(first);
    const [values] = (
      await con.runAndReadAll(
        `SELECT ${checks.map((c) => `coalesce(${c.bad}, false), ${ident(c.column)}`).join(", ")} FROM ${table} WHERE row = ${row}`,
      )
    ).getRows();
    const k = checks.findIndex((_, j) => values[2 * j] === true);
    const c = checks[k];
    const found = values[2 * k + 1];
    const value = found === null && c.numeric ? NaN : found;
    throw new InputError({
      file: where[c.table],
      row: row + 1,
      column: c.column,
      expected: c.expected,
      found: value === "" && c.column === "split" ? "an empty string" : describeValue(value),
    });
  }
}

/** The key checks: a repeated key is an InputError at its second row, naming the first. */
export async function checkKeys(con: DuckDBConnection, where: Record<SqlTableName, string>): Promise<void> {
  for (const k of KEYS) {
    const col = ident(k.column);
    // Whether a key repeats, by a hash aggregate; only then where, by a window (a sort).
    const repeats = (
      await con.runAndReadAll(`SELECT 1 FROM ${k.table} GROUP BY ${col} HAVING count(*) > 1 LIMIT 1`)
    ).getRows();
    if (repeats.length === 0) continue;
    const r = (
      await con.runAndReadAll(
        `SELECT row, first FROM (SELECT row, min(row) OVER (PARTITION BY ${col}) AS first FROM ${k.table})
         WHERE row > first ORDER BY row LIMIT 1`,
      )
    ).getRows();
    throw new InputError({
      file: where[k.table],
      row: Number(r[0][0]) + 1,
      column: k.column,
      expected: `a ${k.column} not seen before`,
      found: `the ${k.column} of row ${Number(r[0][1]) + 1}`,
    });
  }
}
