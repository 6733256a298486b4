/**
 * A DuckDB database holding MIMIC-IV's tables as mimic-code's DuckDB build lays them out (schemas
 * `mimiciv_hosp`, `mimiciv_icu`; ids as INTEGER, times as TIMESTAMP, `dod` as DATE), loaded from a
 * PhysioNet MIMIC-IV folder (and the MIMIC-CXR-JPG tables, when asked, in schema `mimiciv_cxr`). For tests and benchmarks of the database source, and for users without
 * mimic-code at hand; mimic-code's scripts load every table, this the three the cohort reads.
 * Unlike mimic-code it declares no NOT NULL, so that incomplete rows reach the cohort's own checks.
 */
import * as fs from "fs";
import * as path from "path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CHEXPERT_LABELS } from "../util/labels";
import {
  MIMIC_CODE_TABLES,
  MIMIC_CXR_DATABASE_TABLES,
  MIMIC_CXR_TABLES,
  mimicIvStems,
  mimicIvTables,
  type MimicIvVersion,
} from "./layout";

/** mimic-code's type of a MIMIC-IV column (its DuckDB DDL), by column name. */
function columnType(column: string): string {
  if (column.endsWith("_id") && column !== "admit_provider_id") return "INTEGER";
  if (/time$/.test(column)) return "TIMESTAMP";
  if (column === "dod") return "DATE";
  if (column === "anchor_age" || column === "anchor_year" || column === "hospital_expire_flag") return "SMALLINT";
  if (column === "los") return "DOUBLE PRECISION";
  return "VARCHAR";
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

const TABLES = ["patients", "admissions", "icustays"] as const;

/**
 * The SQL (DuckDB's and PostgreSQL's) that creates mimic-code's schemas and the three tables, and for
 * each table the CSV file of the MIMIC-IV folder that fills it.
 */
export function mimicCodeDdl(mimicIv: string): { create: string[]; load: { table: string; file: string }[] } {
  const version: MimicIvVersion = fs.existsSync(path.join(mimicIv, "hosp")) ? "v2" : "v1";
  const tables = mimicIvTables(version);
  const schemas = [...new Set(Object.values(MIMIC_CODE_TABLES).map((t) => t.schema))];
  const create = schemas.map((schema) => `CREATE SCHEMA ${schema}`);
  const load = TABLES.map((name) => {
    const { schema, table } = MIMIC_CODE_TABLES[name];
    create.push(
      `CREATE TABLE ${schema}.${table} (${tables[name].columns.map((c) => `${c} ${columnType(c)}`).join(", ")})`,
    );
    const file = mimicIvStems(name)
      .flatMap((stem) => [`${stem}.csv.gz`, `${stem}.csv`])
      .map((f) => path.join(mimicIv, f))
      .find((f) => fs.existsSync(f));
    if (!file) throw new Error(`no ${name} table under ${mimicIv}`);
    return { table: `${schema}.${table}`, file };
  });
  return { create, load };
}

/** The type of a MIMIC-CXR-JPG column in the `mimiciv_cxr` tables (MIMIC_CXR_DATABASE_TABLES). */
function cxrColumnType(column: string): string {
  if (column === "subject_id" || column === "study_id" || column === "StudyDate") return "INTEGER";
  if (column === "StudyTime" || (CHEXPERT_LABELS as readonly string[]).includes(column)) return "DOUBLE PRECISION";
  if (column === "Rows" || column === "Columns") return "INTEGER";
  return "VARCHAR";
}

/** The SQL that creates schema `mimiciv_cxr` with the three MIMIC-CXR-JPG tables, and the file that fills each. */
export function mimicCxrDdl(mimicCxr: string): { create: string[]; load: { table: string; file: string }[] } {
  const create = [`CREATE SCHEMA ${MIMIC_CXR_DATABASE_TABLES.metadata.schema}`];
  const load = (["metadata", "chexpert", "split"] as const).map((name) => {
    const { schema, table } = MIMIC_CXR_DATABASE_TABLES[name];
    const { stem, columns } = MIMIC_CXR_TABLES[name];
    create.push(`CREATE TABLE ${schema}.${table} (${columns.map((c) => `"${c}" ${cxrColumnType(c)}`).join(", ")})`);
    const file = [`${stem}.csv.gz`, `${stem}.csv`].map((f) => path.join(mimicCxr, f)).find((f) => fs.existsSync(f));
    if (!file) throw new Error(`no ${stem} table under ${mimicCxr}`);
    return { table: `${schema}.${table}`, file };
  });
  return { create, load };
}

/**
 * Creates `dbFile` (replacing it) with patients, admissions and ICU stays from the MIMIC-IV folder
 * and, given `mimicCxr`, the MIMIC-CXR-JPG metadata, CheXpert labels and split in schema `mimiciv_cxr`.
 */
export async function writeMimicCodeDuckDb(mimicIv: string, dbFile: string, mimicCxr?: string): Promise<void> {
  const iv = mimicCodeDdl(mimicIv);
  const cxr = mimicCxr ? mimicCxrDdl(mimicCxr) : { create: [], load: [] };
  fs.rmSync(dbFile, { force: true });
  const db = await DuckDBInstance.create(dbFile);
  const con = await db.connect();
  try {
    for (const sql of [...iv.create, ...cxr.create]) await con.run(sql);
    for (const { table, file } of [...iv.load, ...cxr.load])
      await con.run(`COPY ${table} FROM ${sqlString(file)} (HEADER)`);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
