/**
 * The SQL engine of `cohort.build` (sql/): the steps up to the EHR fields run as DuckDB SQL over the
 * tables where they are, and hand the shared last steps (impute, cohortTable) the same columns as the
 * JavaScript engine. Used when the database holds MIMIC-CXR's tables too (schema `mimiciv_cxr`; a
 * DuckDB file, attached read-only, or PostgreSQL, read through `pg` into an in-memory DuckDB, as
 * DuckDB's postgres extension would be a download). Where MIMIC-CXR comes from its files the
 * JavaScript engine runs, with MIMIC-IV read from the database (ivTables.ts says why); `engine:
 * "duckdb"` runs this engine there and on the folders too (the bench measures both engines; the tests
 * check that they agree).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { MIMIC_CODE_TABLES, MIMIC_CXR_DATABASE_TABLES } from "../mimic/layout";
import type { RandomSplit } from "./types";
import type { ResolvedOptions } from "./buildOptions";
import type { Reporter } from "./buildReport";
import { COLUMNS, findCxrInputs, findIvFiles, findSplitFile, IV_TABLES } from "./readTables";
import { hasTable, readDatabaseTable, type MimicDatabase } from "./databaseTables";
import { openPostgres } from "./postgresDatabase";
import { assignSplit } from "./assignSplit";
import { dropMissingImages } from "./paths";
import type { CsvColumns } from "./csv";
import type { SqlTableName, TableSource } from "./sql/inputs";
import { ATTACHED, openDuckDbMemory, runCohortSql, type SqlCohort } from "./sql/run";
import { IMAGE_STEPS } from "./sql/steps";
import type { StagedImages } from "./build";

/** The steps up to the EHR fields, by SQL; the report gets the same steps as from the JavaScript engine. */
export async function sqlStages(o: ResolvedOptions, rep: Reporter): Promise<StagedImages> {
  const file = o.source && "duckdb" in o.source ? o.source.duckdb : undefined;
  const db = await openDuckDbMemory(file ? { [ATTACHED]: file } : {});
  let c: SqlCohort;
  try {
    const sources = await tableSources(db.con, o, file);
    c = await runCohortSql(db, {
      sources,
      specs: COLUMNS,
      stayMatch: o.stayMatch,
      uncertain: o.uncertain,
    });
  } finally {
    db.close();
  }
  for (const i of c.inputs) rep.input(i.file, i.rows);
  const size = (name: SqlTableName) => c.inputs.find((i) => i.name === name)!;
  const tables = {
    meta: size("metadata"),
    chex: size("chexpert"),
    pat: size("patients"),
    adm: size("admissions"),
    icu: size("icustays"),
  };
  let rows: Int32Array = new Int32Array(c.dicom.length);
  rows.forEach((_, i) => (rows[i] = i));
  const random = typeof o.split === "object";
  IMAGE_STEPS.forEach((step, k) => {
    if (random && step === "split") return;
    rows = rep.filter(step, rows, (i) => (c.leftOutStep[i] === k ? c.leftOutReason.get(i)! : undefined));
  });
  const meta: CsvColumns = {
    file: c.metadataFile,
    rows: c.dicom.length,
    header: [],
    strings: { dicom_id: c.dicom },
    hashes: {},
    numbers: { subject_id: c.subject },
    categories: {},
  };
  const split = random ? (await assignSplit({ meta }, rows, o.split as RandomSplit, o.seed, rep)).split : c.split;
  const ids = { dicom: c.dicom, subject: c.subject, study: c.study };
  if (o.checkImages) rows = dropMissingImages(rows, ids, { root: o.images, layout: o.imageLayout }, rep);
  for (const [what, u] of Object.entries(c.usable)) rep.note(`usable ${what}`, what, u.rows, u.usable, u.dropped);
  rep.note(`stays (${o.stayMatch})`, "images", rows.length, rows.length);
  return {
    rows,
    ids,
    ymd: c.ymd,
    split,
    viewCode: c.viewCode,
    posCode: c.posCode,
    ehr: c.ehr,
    file: c.metadataFile,
    tables,
    labels: (kept) => {
      const out: Record<string, Float32Array> = {};
      // A loop: Float32Array.from with a mapper is about 100 times slower (0.38 s a build on full-size tables).
      for (const [name, col] of Object.entries(c.labels)) {
        const picked = (out[name] = new Float32Array(kept.length));
        for (let k = 0; k < kept.length; k++) picked[k] = col[c.labelRow[kept[k]]];
      }
      return out;
    },
  };
}

/** Where each table comes from: the DuckDB file or PostgreSQL when it holds it, else the files. */
async function tableSources(
  con: DuckDBConnection,
  o: ResolvedOptions,
  file: string | undefined,
): Promise<Partial<Record<SqlTableName, TableSource>>> {
  const out: Partial<Record<SqlTableName, TableSource>> = {};
  if (file) for (const k of IV_TABLES) out[k] = { database: ATTACHED, where: file, ...MIMIC_CODE_TABLES[k] };
  else if (o.source && "postgres" in o.source) {
    const db = await openPostgres(o.source.postgres);
    try {
      for (const k of IV_TABLES) out[k] = { columns: await readDatabaseTable(db, MIMIC_CODE_TABLES[k], COLUMNS[k]) };
      const cxr = MIMIC_CXR_DATABASE_TABLES;
      if (await postgresHoldsCxr(db)) {
        for (const k of ["metadata", "chexpert"] as const)
          out[k] = { columns: await readDatabaseTable(db, cxr[k], COLUMNS[k]) };
        if (o.split === "official" && (await hasTable(db, cxr.split)))
          out.split = { columns: await readDatabaseTable(db, cxr.split, COLUMNS.split) };
      }
    } finally {
      await db.close();
    }
  } else {
    const iv = findIvFiles(o.mimicIv);
    for (const k of IV_TABLES) out[k] = { file: iv[k] };
  }
  const inDb = file ? await databaseTables(con) : new Set<string>();
  const cxrInDb = holdsCxr(inDb);
  // The split in a database is the official one: another split is read from the file that names it.
  const splitInDb = cxrInDb && o.split === "official" && inDb.has(qualified(MIMIC_CXR_DATABASE_TABLES.split));
  if (cxrInDb)
    for (const k of ["metadata", "chexpert", ...(splitInDb ? (["split"] as const) : [])] as const)
      out[k] = { database: ATTACHED, where: file!, ...MIMIC_CXR_DATABASE_TABLES[k] };
  // MIMIC-CXR from its files where no database held it.
  const files = out.metadata ? undefined : findCxrInputs(o.mimicCxr, o.split);
  if (files) for (const k of ["metadata", "chexpert"] as const) out[k] = { file: files[k] };
  if (!out.split) {
    const splitFile = files ? files.split : findSplitFile(o.mimicCxr, o.split);
    if (splitFile) out.split = { file: splitFile };
  }
  return out;
}

const qualified = (t: { schema: string; table: string }) => `${t.schema}.${t.table}`;

/** The tables of the attached file, as schema.table. */
export async function databaseTables(con: DuckDBConnection): Promise<Set<string>> {
  const r = await con.runAndReadAll(
    `SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = '${ATTACHED}'`,
  );
  return new Set(r.getRows().map((row) => row[0] as string));
}

/** Whether a DuckDB file's tables (`databaseTables`) hold MIMIC-CXR's metadata and CheXpert: then this engine reads it. */
export function holdsCxr(tables: Set<string>): boolean {
  return (["metadata", "chexpert"] as const).every((k) => tables.has(qualified(MIMIC_CXR_DATABASE_TABLES[k])));
}

/** Whether PostgreSQL holds MIMIC-CXR's metadata and CheXpert: then this engine reads it. */
export async function postgresHoldsCxr(db: MimicDatabase): Promise<boolean> {
  const cxr = MIMIC_CXR_DATABASE_TABLES;
  return (await hasTable(db, cxr.metadata)) && (await hasTable(db, cxr.chexpert));
}
