/**
 * A worker thread that reads tables, from CSV files with `readCsv` or from a DuckDB file with
 * `readRelationColumns`, and sends back the columns (typed arrays transferred, not copied), so that
 * the cohort reads the EHR tables and the image tables on two cores at once.
 */
import { parentPort } from "worker_threads";
import { InputError } from "../util/errors";
import { ColumnSpec, CsvColumns, readCsv } from "./csv";
import type { SqlTableName } from "./sql/inputs";
import { readRelationColumns } from "./sql/readRelation";
import { ATTACHED, openDuckDbMemory, type CohortDatabase } from "./sql/run";

/** A table of a DuckDB file in mimic-code's layout, read as the relation `name` (sql/inputs.ts). */
type DatabaseJob = { database: string; name: SqlTableName; schema: string; table: string; specs: ColumnSpec[] };

/** A CSV file, or a table of a DuckDB file (the database jobs of one message name one file). */
export type CsvJob = { file: string; specs: ColumnSpec[] } | DatabaseJob;

/** The reply for `jobs[index]`. */
export type CsvReply = { index: number } & (
  { ok: true; columns: CsvColumns } | { ok: false; error: { message: string; details?: InputError["details"] } }
);

/** Every typed array's buffer in the columns (moved to the receiving thread). */
export function transferables(c: CsvColumns): ArrayBuffer[] {
  const arrays = [
    ...Object.values(c.hashes),
    ...Object.values(c.numbers),
    ...Object.values(c.categories).map((k) => k.codes),
  ];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

function reply(index: number, reading: Promise<CsvColumns>): Promise<void> {
  return reading.then(
    (columns) => parentPort!.postMessage({ index, ok: true, columns } satisfies CsvReply, transferables(columns)),
    (e) => {
      const error =
        e instanceof InputError
          ? { message: e.message, details: e.details }
          : { message: String((e as Error)?.stack ?? e) };
      parentPort!.postMessage({ index, ok: false, error } satisfies CsvReply);
    },
  );
}

/**
 * The tables of one DuckDB file, one after the other on one database (DuckDB runs each on all cores);
 * the database is closed before the replies go, since the main thread ends the worker after the last.
 */
async function readDatabase(jobs: { index: number; job: DatabaseJob }[]): Promise<void> {
  const read: Promise<CsvColumns>[] = [];
  let db: CohortDatabase | undefined;
  try {
    db = await openDuckDbMemory({ [ATTACHED]: jobs[0].job.database });
    for (const { job } of jobs) {
      const { database: where, name, schema, table, specs } = job;
      const columns = readRelationColumns(db.con, name, { database: ATTACHED, where, schema, table }, specs);
      await columns.catch(() => undefined);
      read.push(columns);
    }
  } catch (e) {
    while (read.length < jobs.length) read.push(Promise.reject(e));
  } finally {
    db?.close();
  }
  await Promise.all(jobs.map(({ index }, k) => reply(index, read[k])));
}

// All files at once, as `build` does on its own thread: each is parsed when zlib's pool has gunzipped it.
parentPort?.on("message", (jobs: CsvJob[]) => {
  const database: { index: number; job: DatabaseJob }[] = [];
  jobs.forEach((job, index) => {
    if ("file" in job) void reply(index, readCsv(job.file, job.specs));
    else database.push({ index, job });
  });
  if (database.length) void readDatabase(database);
});
