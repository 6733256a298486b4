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
import { openDuckDbMemory, type CohortDatabase } from "./sql/run";

/** A CSV file, or a table of a DuckDB file in mimic-code's layout (read as the relation `name`). */
export type CsvJob =
  | { file: string; specs: ColumnSpec[] }
  | { database: string; name: SqlTableName; schema: string; table: string; specs: ColumnSpec[] };

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

// All files at once, as `build` does on its own thread: each is parsed when zlib's pool has gunzipped it.
// The tables of a DuckDB file one after the other, on one database (DuckDB runs each on all cores).
parentPort?.on("message", (jobs: CsvJob[]) => {
  let db: Promise<CohortDatabase> | undefined;
  let tables: Promise<unknown> = Promise.resolve();
  jobs.forEach((job, index) => {
    if ("file" in job) return void reply(index, readCsv(job.file, job.specs));
    const { database: where, name, schema, table, specs } = job;
    tables = tables.then(() =>
      reply(
        index,
        (async () => {
          const { con } = await (db ??= openDuckDbMemory({ mimic: where }));
          return readRelationColumns(con, name, { database: "mimic", where, schema, table }, specs);
        })(),
      ),
    );
  });
  void tables.then(async () => (await db?.catch(() => undefined))?.close());
});
