/**
 * A worker thread that reads CSV files with `readCsv` and sends back the columns (typed arrays
 * transferred, not copied), so that the cohort parses the EHR tables and the image tables on two
 * cores at once.
 */
import { parentPort } from "worker_threads";
import { InputError } from "../util/errors";
import { ColumnSpec, CsvColumns, readCsv } from "./csv";

export interface CsvJob {
  file: string;
  specs: ColumnSpec[];
}

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

// All files at once, as `build` does on its own thread: each is parsed when zlib's pool has gunzipped it.
parentPort?.on("message", (jobs: CsvJob[]) => {
  jobs.forEach(async (job, index) => {
    try {
      const columns = await readCsv(job.file, job.specs);
      parentPort!.postMessage({ index, ok: true, columns } satisfies CsvReply, transferables(columns));
    } catch (e) {
      const error =
        e instanceof InputError
          ? { message: e.message, details: e.details }
          : { message: String((e as Error)?.stack ?? e) };
      parentPort!.postMessage({ index, ok: false, error } satisfies CsvReply);
    }
  });
});
