/**
 * Runs the cohort's SQL steps (sql/steps.ts) in an in-memory DuckDB over the six relations of
 * sql/inputs.ts, and reads the result column by column into typed arrays (sql/read.ts; no object per row).
 */
import * as fs from "fs";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "../../util/errors";
import type { StayMatch, UncertainPolicy } from "../types";
import type { ColumnSpec } from "../csv";
import type { EhrFields } from "../ehrFields";
import { checkKeys, checkValues } from "./checks";
import { defineNoSplit, defineRelation, type SqlTableName, type TableSource } from "./inputs";
import { COHORT_STEPS, unusableCounts } from "./steps";
import { columnsByRow, textByRow } from "./read";

/** What the SQL steps found, per metadata row (in file order). */
export interface SqlCohort {
  /** Each table read, in the JavaScript engine's order (metadata, chexpert, split, patients, admissions, ICU stays). */
  inputs: { name: SqlTableName; file: string; rows: number }[];
  metadataFile: string;
  dicom: string[];
  subject: Float64Array;
  study: Float64Array;
  ymd: Float64Array;
  /** Index in IMAGE_STEPS of the step that leaves the row out, -1 when kept. */
  leftOutStep: Int8Array;
  /** Why, for the rows left out. */
  leftOutReason: Map<number, string>;
  split: Int8Array;
  viewCode: Int8Array;
  posCode: Int8Array;
  ehr: EhrFields;
  /** The CheXpert row of each image (-1: none), and each CheXpert row's 14 labels under the policy. */
  labelRow: Int32Array;
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

/** An in-memory DuckDB: `con` runs the steps, `alongside` the queries that may run at the same time. */
export interface CohortDatabase {
  con: DuckDBConnection;
  alongside: DuckDBConnection;
  close: () => void;
}

/** The name a DuckDB file of MIMIC is attached under (the `database` of sql/inputs.ts's TableSource). */
export const ATTACHED = "mimic";

/** Opens an in-memory DuckDB, with `attach` attached read-only. */
export async function openDuckDbMemory(attach: Record<string, string> = {}): Promise<CohortDatabase> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const alongside = await db.connect();
  const close = () => {
    con.closeSync();
    alongside.closeSync();
    db.closeSync();
  };
  for (const [name, file] of Object.entries(attach)) {
    try {
      await con.run(`ATTACH '${file.replace(/'/g, "''")}' AS "${name}" (READ_ONLY)`);
    } catch (e) {
      close();
      // DuckDB's own message for another kind of file is about read-only in-memory databases.
      const found = isDuckDbFile(file)
        ? `an error (${(e as Error).message})`
        : "a file without DuckDB's header (another kind of file?)";
      throw new InputError({ file, expected: "a DuckDB database file", found });
    }
  }
  return { con, alongside, close };
}

/** Whether `file` starts as a DuckDB database does: "DUCK" after an 8-byte checksum. */
function isDuckDbFile(file: string): boolean {
  const head = Buffer.alloc(12);
  const fd = fs.openSync(file, "r");
  try {
    fs.readSync(fd, head, 0, 12, 0);
  } finally {
    fs.closeSync(fd);
  }
  return head.toString("latin1", 8, 12) === "DUCK";
}

/**
 * Defines the relations, checks them, runs the steps and reads the result. The key checks, then the
 * labels and the dicom ids (each a scan of one table), run on `alongside` while `con` checks the
 * values and runs the steps: a query keeps DuckDB's two threads about 60% busy, and this thread is
 * free while they run. The steps wait for the checks (a repeated key could make a join explode).
 */
export async function runCohortSql(db: CohortDatabase, x: SqlCohortInputs): Promise<SqlCohort> {
  const { con, alongside } = db;
  const defined = await defineRelations(db, x);
  const where = {} as Record<SqlTableName, string>;
  const inputs: SqlCohort["inputs"] = [];
  for (const name of ORDER) {
    const r = defined[name];
    where[name] = r ? r.where : "";
    if (r) inputs.push({ name, file: r.where, rows: r.rows });
  }
  const rows = (name: SqlTableName) => inputs.find((i) => i.name === name)!.rows;
  // The key checks, then the labels and dicom ids, on `alongside` while `con` checks the values.
  const keys = checkKeys(alongside, where);
  const early = keys.then(async () => {
    await alongside.run(`SET VARIABLE uncertain = '${x.uncertain}'`);
    const labels = columnsByRow(await alongside.run(COHORT_STEPS.labels), rows("chexpert"));
    return {
      labels: labels as Record<string, Float32Array>,
      dicom: await textByRow(alongside, "metadata", "dicom_id"),
    };
  });
  // Handled here, so that a failure while the steps run is not an unhandled rejection; awaited below.
  early.catch(() => undefined);
  let steps: Awaited<ReturnType<typeof runSteps>>;
  try {
    await checkValues(con, where);
    await keys;
    steps = await runSteps(con, x, rows("metadata"));
  } catch (e) {
    // `alongside` finishes before the database is closed; a bad value is reported before a repeated key.
    await early.catch(() => undefined);
    throw e;
  }
  const { usable, c, leftOutReason } = steps;
  const { labels, dicom } = await early;
  const number = (name: string) => c[name] as Float64Array;
  const code = (name: string) => c[name] as Int8Array;
  const flag = (name: string) => c[name] as Uint8Array;
  return {
    inputs,
    metadataFile: where.metadata,
    usable,
    dicom,
    subject: number("subject_id"),
    study: number("study_id"),
    ymd: number("StudyDate"),
    leftOutStep: code("left_out_step"),
    leftOutReason,
    split: code("split_code"),
    viewCode: code("view_code"),
    posCode: code("pos_code"),
    ehr: {
      age: number("age"),
      male: flag("male"),
      icu: flag("icu"),
      died: flag("died"),
      hadm: Array.from(number("hadm_id"), (h) => (Number.isNaN(h) ? null : h)),
    },
    labelRow: c.label_row as Int32Array,
    labels,
  };
}
/**
 * Defines the six relations (an empty split where there is none). The CSV files are read on both
 * connections, the larger first, each on the one with fewer bytes to read: DuckDB decompresses a
 * gzipped file on one thread. A failure is the first in ORDER, as when they are read one by one.
 */
async function defineRelations(
  db: CohortDatabase,
  x: SqlCohortInputs,
): Promise<Partial<Record<SqlTableName, { where: string; rows: number }>>> {
  const bytes = (name: SqlTableName) => {
    const source = x.sources[name];
    return source && "file" in source ? fs.statSync(source.file).size : 0;
  };
  const queues: { con: DuckDBConnection; names: SqlTableName[]; bytes: number }[] = [
    { con: db.con, names: [], bytes: 0 },
    { con: db.alongside, names: [], bytes: 0 },
  ];
  for (const name of [...ORDER].sort((a, b) => bytes(b) - bytes(a))) {
    const q = queues[0].bytes <= queues[1].bytes ? queues[0] : queues[1];
    q.names.push(name);
    q.bytes += bytes(name);
  }
  const out: Partial<Record<SqlTableName, { where: string; rows: number }>> = {};
  const failed: Partial<Record<SqlTableName, unknown>> = {};
  await Promise.all(
    queues.map(async ({ con, names }) => {
      for (const name of names) {
        const source = x.sources[name];
        try {
          if (source) out[name] = await defineRelation(con, name, source, x.specs[name]);
          else await defineNoSplit(con);
        } catch (e) {
          failed[name] = e;
        }
      }
    }),
  );
  const first = ORDER.find((name) => name in failed);
  if (first) throw failed[first];
  return out;
}

/** The steps on `con`: what each image's row gets, and the admissions and stays usable. */
async function runSteps(con: DuckDBConnection, x: SqlCohortInputs, images: number) {
  await con.run(`SET VARIABLE stay_match = '${x.stayMatch}'`);
  await con.run(COHORT_STEPS.images);
  await con.run(COHORT_STEPS.usableAdmissions);
  await con.run(COHORT_STEPS.usableIcuStays);
  await con.run(COHORT_STEPS.admissionMatch);
  await con.run(COHORT_STEPS.icuMatch);
  const usable = {
    admissions: await usableOf(con, "usable_admissions"),
    "ICU stays": await usableOf(con, "usable_icustays"),
  };
  const c = columnsByRow(await con.run(COHORT_STEPS.cohort), images);
  const leftOutReason = new Map<number, string>();
  const reasons = await con.runAndReadAll(`SELECT row, left_out_reason FROM images WHERE left_out_step IS NOT NULL`);
  for (const [row, why] of reasons.getRows()) leftOutReason.set(Number(row), why as string);
  return { usable, c, leftOutReason };
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
