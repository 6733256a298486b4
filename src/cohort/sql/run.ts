/**
 * Runs the cohort's SQL steps (sql/steps.ts) in an in-memory DuckDB over the six relations of
 * sql/inputs.ts, and reads the result column by column into typed arrays (no object per row).
 */
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBMaterializedResult } from "@duckdb/node-api";
import { CHEXPERT_LABELS } from "../../util/labels";
import { InputError } from "../../util/errors";
import type { StayMatch, UncertainPolicy } from "../types";
import type { ColumnSpec } from "../csv";
import type { EhrFields } from "../ehrFields";
import { checkRelations } from "./checks";
import { defineNoSplit, defineRelation, type SqlTableName, type TableSource } from "./inputs";
import { COHORT_STEPS, unusableCounts } from "./steps";

/** What the SQL steps found, per metadata row (in file order). */
export interface SqlCohort {
  /** Each table read, in the JavaScript engine's order (metadata, chexpert, split, patients, admissions, ICU stays). */
  inputs: { name: SqlTableName; file: string; rows: number }[];
  metadataFile: string;
  dicom: string[];
  subject: Float64Array;
  study: Float64Array;
  ymd: Float64Array;
  /** Index in IMAGE_STEPS of the step that leaves the row out, -1 when kept; its reason. */
  leftOutStep: Int8Array;
  leftOutReason: string[];
  split: Int8Array;
  viewCode: Int8Array;
  posCode: Int8Array;
  ehr: EhrFields;
  labels: Record<string, Float32Array>;
  /** Admissions and ICU stays: rows, usable rows, and the others by reason. */
  usable: Record<"admissions" | "ICU stays", { rows: number; usable: number; dropped: Record<string, number> }>;
}

export interface SqlCohortInputs {
  sources: Partial<Record<SqlTableName, TableSource>>;
  specs: Record<SqlTableName, readonly ColumnSpec[]>;
  /** Databases to attach read-only (name -> DuckDB file). */
  attach?: Record<string, string>;
  stayMatch: StayMatch;
  uncertain: UncertainPolicy;
}

const ORDER: SqlTableName[] = ["metadata", "chexpert", "split", "patients", "admissions", "icustays"];

/** Opens an in-memory DuckDB, with `attach` attached read-only. */
export async function openDuckDbMemory(attach: Record<string, string> = {}): Promise<{
  con: DuckDBConnection;
  close: () => void;
}> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const close = () => {
    con.closeSync();
    db.closeSync();
  };
  for (const [name, file] of Object.entries(attach)) {
    try {
      await con.run(`ATTACH '${file.replace(/'/g, "''")}' AS "${name}" (READ_ONLY)`);
    } catch (e) {
      close();
      throw new InputError({ file, expected: "a DuckDB database file", found: `an error (${(e as Error).message})` });
    }
  }
  return { con, close };
}

/** Defines the relations, checks them, runs the steps and reads the result. */
export async function runCohortSql(con: DuckDBConnection, x: SqlCohortInputs): Promise<SqlCohort> {
  const where = {} as Record<SqlTableName, string>;
  const inputs: SqlCohort["inputs"] = [];
  for (const name of ORDER) {
    const source = x.sources[name];
    if (!source) {
      await defineNoSplit(con);
      where[name] = "";
      continue;
    }
    const r = await defineRelation(con, name, source, x.specs[name]);
    where[name] = r.where;
    inputs.push({ name, file: r.where, rows: r.rows });
  }
  await checkRelations(con, where);
  await con.run(`SET VARIABLE stay_match = '${x.stayMatch}'`);
  await con.run(`SET VARIABLE uncertain = '${x.uncertain}'`);
  await con.run(COHORT_STEPS.images);
  await con.run(COHORT_STEPS.usableAdmissions);
  await con.run(COHORT_STEPS.usableIcuStays);
  await con.run(COHORT_STEPS.admissionMatch);
  await con.run(COHORT_STEPS.icuMatch);
  const usable = {
    admissions: await usableOf(con, "usable_admissions"),
    "ICU stays": await usableOf(con, "usable_icustays"),
  };
  const result = await con.run(COHORT_STEPS.cohort);
  return { inputs, metadataFile: where.metadata, usable, ...readCohort(result) };
}

async function usableOf(con: DuckDBConnection, table: "usable_admissions" | "usable_icustays") {
  const [[rows]] = (await con.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows();
  const dropped: Record<string, number> = {};
  let left = 0;
  for (const [why, n] of (await con.runAndReadAll(unusableCounts(table))).getRows()) {
    dropped[why as string] = Number(n);
    left += Number(n);
  }
  return { rows: Number(rows), usable: Number(rows) - left, dropped };
}

/**
 * The result's columns: VARCHAR as strings (NULL as ""), the others as doubles (the cohort query gives
 * every number as a DOUBLE, NULL as NaN). Each chunk is fetched once (a fetch copies the chunk) and each
 * DOUBLE vector copied in one block: the vectors' per-value `getItem` checks validity with BigInt
 * arithmetic, and with a fetch per column this read had cost more than all the SQL steps together.
 */
function resultColumns(result: DuckDBMaterializedResult): Record<string, Float64Array | string[]> {
  const n = result.rowCount;
  const names = result.columnNames();
  const types = result.columnTypes();
  const out = names.map((_, j) =>
    types[j].typeId === DuckDBTypeId.VARCHAR ? new Array<string>(n) : new Float64Array(n),
  );
  let o = 0;
  for (let k = 0; k < result.chunkCount; k++) {
    const chunk = result.getChunk(k);
    const m = chunk.rowCount;
    out.forEach((col, j) => {
      const v = chunk.getColumnVector(j) as unknown as { items?: unknown; getItem(i: number): unknown };
      if (Array.isArray(col)) for (let i = 0; i < m; i++) col[o + i] = (v.getItem(i) as string | null) ?? "";
      // `items`: DuckDBDoubleVector's data (@duckdb/node-api 1.5.6); per value if a version lacks it.
      else if (v.items instanceof Float64Array) col.set(v.items, o);
      else for (let i = 0; i < m; i++) col[o + i] = Number(v.getItem(i) ?? NaN);
    });
    o += m;
  }
  return Object.fromEntries(names.map((name, j) => [name, out[j]]));
}

/** The cohort query's columns as typed arrays. */
function readCohort(result: DuckDBMaterializedResult) {
  const c = resultColumns(result);
  const number = (name: string) => c[name] as Float64Array;
  const labels: Record<string, Float32Array> = {};
  for (const l of CHEXPERT_LABELS) labels[l] = Float32Array.from(number(l));
  return {
    dicom: c.dicom_id as string[],
    subject: number("subject_id"),
    study: number("study_id"),
    ymd: number("StudyDate"),
    leftOutStep: Int8Array.from(number("left_out_step"), (s) => (Number.isNaN(s) ? -1 : s)),
    leftOutReason: c.left_out_reason as string[],
    split: Int8Array.from(number("split_code")),
    viewCode: Int8Array.from(number("view_code")),
    posCode: Int8Array.from(number("pos_code")),
    ehr: {
      age: number("age"),
      male: Uint8Array.from(number("male")),
      icu: Uint8Array.from(number("icu")),
      died: Uint8Array.from(number("died")),
      hadm: Array.from(number("hadm_id"), (h) => (Number.isNaN(h) ? null : h)),
    },
    labels,
  };
}
