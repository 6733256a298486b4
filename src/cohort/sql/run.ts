/**
 * Runs the cohort's SQL steps (sql/steps.ts) in an in-memory DuckDB over the six relations of
 * sql/inputs.ts, and reads the result column by column into typed arrays (no object per row).
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBMaterializedResult } from "@duckdb/node-api";
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
  inputs: { file: string; rows: number }[];
  metadataFile: string;
  dicom: string[];
  subject: Float64Array;
  study: Float64Array;
  ymd: Float64Array;
  /** Index in IMAGE_STEPS of the step that leaves the row out, -1 when kept; its reason. */
  leftOutStep: Int8Array;
  leftOutReason: (string | null)[];
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
    inputs.push({ file: r.where, rows: r.rows });
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

/** The cohort query's columns, read chunk by chunk from DuckDB's vectors. */
function readCohort(result: DuckDBMaterializedResult) {
  const n = result.rowCount;
  const names = result.columnNames();
  const at = (name: string) => names.indexOf(name);
  const numbers = <T extends Float64Array | Float32Array | Int8Array | Uint8Array>(name: string, out: T): T => {
    const j = at(name);
    let o = 0;
    for (let k = 0; k < result.chunkCount; k++) {
      const chunk = result.getChunk(k);
      const v = chunk.getColumnVector(j);
      for (let i = 0; i < chunk.rowCount; i++) {
        const x = v.getItem(i);
        out[o++] = x === null ? NaN : Number(x);
      }
    }
    return out;
  };
  const values = <T>(name: string, out: T[]): T[] => {
    const j = at(name);
    let o = 0;
    for (let k = 0; k < result.chunkCount; k++) {
      const chunk = result.getChunk(k);
      const v = chunk.getColumnVector(j);
      for (let i = 0; i < chunk.rowCount; i++) out[o++] = v.getItem(i) as T;
    }
    return out;
  };
  const stepOf = numbers("left_out_step", new Float64Array(n));
  const leftOutStep = Int8Array.from(stepOf, (s) => (Number.isNaN(s) ? -1 : s));
  const hadm = numbers("hadm_id", new Float64Array(n));
  const labels: Record<string, Float32Array> = {};
  for (const l of CHEXPERT_LABELS) labels[l] = numbers(l, new Float32Array(n));
  return {
    dicom: values<string>("dicom_id", new Array(n)),
    subject: numbers("subject_id", new Float64Array(n)),
    study: numbers("study_id", new Float64Array(n)),
    ymd: numbers("StudyDate", new Float64Array(n)),
    leftOutStep,
    leftOutReason: values<string | null>("left_out_reason", new Array(n)),
    split: numbers("split_code", new Int8Array(n)),
    viewCode: numbers("view_code", new Int8Array(n)),
    posCode: numbers("pos_code", new Int8Array(n)),
    ehr: {
      age: numbers("age", new Float64Array(n)),
      male: numbers("male", new Uint8Array(n)),
      icu: numbers("icu", new Uint8Array(n)),
      died: numbers("died", new Uint8Array(n)),
      hadm: Array.from(hadm, (h) => (Number.isNaN(h) ? null : h)),
    },
    labels,
  };
}
