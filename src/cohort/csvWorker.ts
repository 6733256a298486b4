/**
 * The worker side of `readCsvFiles`: reads the files it is given and posts their columns back,
 * moving (not copying) the typed arrays.
 */
import { parentPort, workerData } from "worker_threads";
import { InputError } from "../util/errors";
import { CsvJob, readCsv } from "./csv";

(async () => {
  try {
    const tables = await Promise.all((workerData as CsvJob[]).map((j) => readCsv(j.file, j.specs)));
    const buffers = tables.flatMap((t) => [...Object.values(t.numbers), ...Object.values(t.hashes), ...Object.values(t.categories).map((c) => c.codes)].map((a) => a.buffer as ArrayBuffer));
    parentPort!.postMessage({ tables }, [...new Set(buffers)]);
  } catch (e) {
    parentPort!.postMessage(e instanceof InputError ? { inputError: e.details } : { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
})();
