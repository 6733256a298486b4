/**
 * MIMIC-IV's three tables for the JavaScript engine: from the folder (parsed on a worker thread), or
 * from a DuckDB file or PostgreSQL when MIMIC-CXR comes from its files, mimic-code's usual layout (it
 * has no build script for MIMIC-CXR). Those files are then read by the JavaScript engine's CSV reader:
 * DuckDB gunzips each on one thread, and a build from MIMIC-IV in a DuckDB file with MIMIC-CXR's
 * `.csv.gz` takes 3.62 s by the SQL engine, 2.12 s this way (bench/cohort.ts, 2 cores).
 * A database that also holds MIMIC-CXR's tables goes to the SQL engine whole (buildSql.ts).
 */
import { MIMIC_CODE_TABLES } from "../mimic/layout";
import type { ResolvedOptions } from "./buildOptions";
import type { CsvColumns } from "./csv";
import { readInWorker } from "./csv";
import { readDatabaseTable } from "./databaseTables";
import { databaseTables, holdsCxr, postgresHoldsCxr } from "./buildSql";
import { openPostgres } from "./postgresDatabase";
import { COLUMNS, findIvFiles, IV_TABLES } from "./readTables";
import { ATTACHED, openDuckDbMemory } from "./sql/run";

/** patients, admissions and ICU stays, each as it is read; a failure rejects its own promise. */
export type IvTables = [Promise<CsvColumns>, Promise<CsvColumns>, Promise<CsvColumns>];

/**
 * MIMIC-IV's tables for the JavaScript engine, or undefined when the database named by `o.source`
 * also holds MIMIC-CXR's metadata and CheXpert tables (the SQL engine reads such a database).
 */
export async function ivTables(o: ResolvedOptions): Promise<IvTables | undefined> {
  if (!o.source) {
    const files = findIvFiles(o.mimicIv);
    return readInWorker(IV_TABLES.map((k) => ({ file: files[k], specs: COLUMNS[k] }))) as IvTables;
  }
  if ("duckdb" in o.source) {
    const file = o.source.duckdb;
    if (await duckDbHoldsCxr(file)) return undefined;
    // On the worker thread, as the files would be: reading the results into arrays takes about 0.35 s of a
    // thread at full size (on 2 cores the build takes as long as when this thread reads them).
    return readInWorker(
      IV_TABLES.map((k) => ({ database: file, name: k, ...MIMIC_CODE_TABLES[k], specs: COLUMNS[k] })),
    ) as IvTables;
  }
  const pg = await openPostgres(o.source.postgres);
  try {
    if (await postgresHoldsCxr(pg)) {
      await pg.close();
      return undefined;
    }
  } catch (e) {
    await pg.close();
    throw e;
  }
  const read = async () => {
    const out: CsvColumns[] = [];
    for (const k of IV_TABLES) out.push(await readDatabaseTable(pg, MIMIC_CODE_TABLES[k], COLUMNS[k]));
    return out;
  };
  return settle(read(), () => pg.close());
}

/** Whether the DuckDB file holds MIMIC-CXR's tables (buildSql.ts's `holdsCxr`). */
async function duckDbHoldsCxr(file: string): Promise<boolean> {
  const db = await openDuckDbMemory({ [ATTACHED]: file });
  try {
    return holdsCxr(await databaseTables(db.con));
  } finally {
    db.close();
  }
}

/** The three tables of `reading` as IvTables; `close` runs once they are read or have failed. */
function settle(reading: Promise<CsvColumns[]>, close: () => unknown): IvTables {
  const done = reading.finally(close);
  const table = (k: number) => done.then((t) => t[k]);
  const out = [table(0), table(1), table(2)] as IvTables;
  // The caller may await them in any order: a failure that comes before its await is not "unhandled".
  for (const p of out) p.catch(() => undefined);
  return out;
}
