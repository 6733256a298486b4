/**
 * Streamed CSV writing (optionally gzip), for tables of a few hundred thousand rows.
 *
 * Hand-written rather than arquero's `toCSV`: that builds the whole text in memory from a table,
 * and the generator's rows never form a table; streaming lines through zlib keeps memory flat and
 * lets the files compress concurrently on zlib's thread pool.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { once } from "events";
import { commitAtomic, tempPathFor } from "../util/atomicWrite";

/** Quotes a field when CSV needs it (comma, quote or newline), as pandas and MIMIC do. */
export function csvField(v: string | number): string {
  const s = typeof v === "number" ? (Number.isNaN(v) ? "" : String(v)) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes `header` and then every line given by `rows` to `file` (gzip when it ends in .gz), streamed into
 * a temporary file that `commitAtomic` moves into place once complete.
 */
export async function writeCsv(
  file: string,
  header: readonly string[],
  rows: Iterable<string>,
): Promise<{ file: string; rows: number; bytes: number }> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    const n = await streamCsv(tmp, file.endsWith(".gz"), header, rows);
    commitAtomic(tmp, file);
    return { file, rows: n, bytes: fs.statSync(file).size };
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Streams the lines into `file` and returns how many rows it wrote. */
async function streamCsv(
  file: string,
  gzip: boolean,
  header: readonly string[],
  rows: Iterable<string>,
): Promise<number> {
  const out = fs.createWriteStream(file);
  const gz = gzip ? zlib.createGzip({ level: 6 }) : undefined;
  const sink: NodeJS.WritableStream = gz ?? out;
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    gz?.on("error", reject);
  });
  if (gz) gz.pipe(out);
  let buf = header.map(csvField).join(",") + "\n";
  let n = 0;
  for (const line of rows) {
    buf += line + "\n";
    n++;
    if (buf.length > 1 << 20) {
      if (!sink.write(buf)) await once(sink as NodeJS.EventEmitter, "drain");
      buf = "";
    }
  }
  sink.end(buf);
  await done;
  return n;
}
