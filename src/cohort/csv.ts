/**
 * Reading the columns a cohort needs from MIMIC's CSV files (`.csv` or `.csv.gz`).
 *
 * Hand-written rather than `aq.loadCSV`: on the full-size tables (377k images, 400k admissions)
 * arquero's reader takes 4.2 s where pandas' C reader takes 2.5 s, and the cohort bench
 * (bench/cohort.ts) asks for 3x pandas. This one gunzips on zlib's thread pool (all files at once),
 * and parses only the requested columns straight from the bytes into typed arrays (numbers,
 * timestamps, labels, category codes and key hashes: no string per row but for `string` columns).
 * Its columns go to `aq.table` as they are. The cohort reads the MIMIC-IV tables on a worker thread
 * (from their files or a DuckDB file) while it reads the MIMIC-CXR ones (`readInWorker`).
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { promisify } from "util";
import { Worker } from "worker_threads";
import { InputError } from "../util/errors";
import { checkReadableFolder } from "./tableChecks";
import { parseTimestampBytes } from "../mimic/time";
import type { CsvJob, CsvReply } from "./csvWorker";

const gunzip = promisify(zlib.gunzip);

/**
 * `string`: text (blank = ""), with its `hash` too; `hash`: only a 53-bit hash of the text (to compare
 * keys across files without making strings); `category`: text with few distinct values, as codes into
 * a list of values; `number`: a float (blank = NaN); `timestamp`: seconds of
 * `YYYY-MM-DD[ HH:MM:SS]` (blank = NaN); `label`: a CheXpert value 1, 0, -1 (blank = NaN).
 */
export type ColumnKind = "string" | "hash" | "category" | "number" | "timestamp" | "label";

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}

/** A category column: `values[codes[row]]` is the text of a row (codes in order of first appearance). */
export interface Category {
  codes: Int32Array;
  values: string[];
}

export interface CsvColumns {
  file: string;
  rows: number;
  /** Every column of the file's header, in order. */
  header: string[];
  strings: Record<string, string[]>;
  /** 53-bit hashes of the `string` and `hash` columns' bytes. */
  hashes: Record<string, Float64Array>;
  numbers: Record<string, Float64Array>;
  categories: Record<string, Category>;
}

/**
 * The first of `names` (each tried as `.csv.gz`, then `.csv`) that exists under `dir`, or an
 * InputError that lists every place looked at.
 */
export function findCsv(dir: string, names: readonly string[], what: string): string {
  const tried: string[] = [];
  for (const name of names) {
    for (const ext of [".csv.gz", ".csv"]) {
      const f = path.join(dir, name + ext);
      if (fs.existsSync(path.dirname(f))) checkReadableFolder(path.dirname(f));
      if (fs.existsSync(f)) return f;
      tried.push(f);
    }
  }
  throw new InputError({
    file: dir,
    expected: `${what} (${names.map((n) => `${n}.csv.gz or .csv`).join(", or ")})`,
    found: "none of them",
    hint: `Looked for: ${tried.join(", ")}.`,
  });
}

/** The file's bytes, gunzipped when they start with the gzip magic number. */
async function readBytes(file: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await fs.promises.readFile(file);
  } catch (e) {
    throw new InputError({ file, expected: "a readable file", found: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      // One output chunk of the size the gzip trailer gives (ISIZE): no copy to join chunks.
      const size = raw.length >= 18 ? raw.readUInt32LE(raw.length - 4) : 0;
      return await gunzip(raw, { chunkSize: Math.min(Math.max(size + 1, 1 << 16), 1 << 30) });
    } catch (e) {
      throw new InputError({ file, expected: "a complete gzip file", found: `a gzip error (${(e as Error).message})` });
    }
  }
  if (file.endsWith(".gz"))
    throw new InputError({ file, expected: "gzip data (the name ends in .gz)", found: "plain bytes" });
  return raw;
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Reads the requested columns of a CSV file; a missing column is an InputError naming what the header has. */
export async function readCsv(file: string, specs: readonly ColumnSpec[]): Promise<CsvColumns> {
  const buf = await readBytes(file);
  return parseCsv(buf, file, specs);
}

/**
 * Throws an InputError naming the first of `specs` that `header` lacks; `where` is the file or database
 * table. The CSV reader, the database reader and the SQL engine all check their tables with it.
 */
export function requireColumns(where: string, header: readonly string[], specs: readonly ColumnSpec[]): void {
  for (const spec of specs)
    if (!header.includes(spec.name))
      throw new InputError({
        file: where,
        column: spec.name,
        expected: `a column named "${spec.name}"`,
        found: `the columns ${header.map((h) => JSON.stringify(h)).join(", ")}`,
      });
}

/** Parses CSV bytes (exported for tests). */
export function parseCsv(buf: Buffer, file: string, specs: readonly ColumnSpec[]): CsvColumns {
  const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const header: string[] = [];
  const { pos } = scan(buf, start, file, { header });
  if (header.length === 0 || (header.length === 1 && header[0] === "")) {
    throw new InputError({ file, expected: "a CSV header line", found: "an empty file" });
  }
  requireColumns(file, header, specs);
  const wanted = new Array<ColumnSpec | undefined>(header.length).fill(undefined);
  for (const spec of specs) wanted[header.indexOf(spec.name)] = spec;
  const cols: Columns = {
    names: header,
    kinds: Int8Array.from(wanted, (spec) => (spec ? KIND_CODE[spec.kind] : SKIP)),
    capacity: estimateRows(buf, pos),
    strings: wanted.map((spec) => (spec?.kind === "string" ? [] : undefined)),
    hashes: [],
    numbers: [],
    interners: wanted.map((spec) => (spec?.kind === "category" ? new Interner(buf) : undefined)),
  };
  cols.hashes = wanted.map((spec) =>
    spec?.kind === "string" || spec?.kind === "hash" ? new Float64Array(cols.capacity) : undefined,
  );
  cols.numbers = wanted.map((spec) =>
    spec && ["number", "timestamp", "label"].includes(spec.kind) ? new Float64Array(cols.capacity) : undefined,
  );
  for (const it of cols.interners) it?.grow(cols.capacity);
  const { rows } = scan(buf, pos, file, { columns: cols });
  const out: CsvColumns = { file, rows, header, strings: {}, hashes: {}, numbers: {}, categories: {} };
  wanted.forEach((spec, f) => {
    if (!spec) return;
    if (cols.strings[f]) out.strings[spec.name] = cols.strings[f]!;
    if (cols.hashes[f]) out.hashes[spec.name] = cols.hashes[f]!.subarray(0, rows);
    if (cols.numbers[f]) out.numbers[spec.name] = cols.numbers[f]!.subarray(0, rows);
    const it = cols.interners[f];
    if (it) out.categories[spec.name] = { codes: it.codes.subarray(0, rows), values: it.values };
  });
  return out;
}

/** Rows expected after `pos`, from the line length of the first 64 KB (the arrays grow if it is short). */
function estimateRows(buf: Buffer, pos: number): number {
  const end = Math.min(buf.length, pos + 65536);
  let lines = 0;
  for (let i = buf.indexOf(LF, pos); i >= 0 && i < end; i = buf.indexOf(LF, i + 1)) lines++;
  return lines === 0 ? 16 : Math.ceil((((buf.length - pos) * lines) / (end - pos)) * 1.05) + 16;
}

/** The per-column sinks of `scan`, by field index; typed arrays grow by half when `capacity` is reached. */
interface Columns {
  names: string[];
  kinds: Int8Array;
  capacity: number;
  strings: (string[] | undefined)[];
  hashes: (Float64Array | undefined)[];
  numbers: (Float64Array | undefined)[];
  interners: (Interner | undefined)[];
}

function grow(cols: Columns): void {
  cols.capacity = Math.ceil(cols.capacity * 1.5) + 16;
  const bigger = (a: Float64Array | undefined) => {
    if (!a) return undefined;
    const b = new Float64Array(cols.capacity);
    b.set(a);
    return b;
  };
  cols.hashes = cols.hashes.map(bigger);
  cols.numbers = cols.numbers.map(bigger);
  for (const it of cols.interners) it?.grow(cols.capacity);
}

/** Where the fields go: the header's names (first row only), or per-column sinks by kind. */
type Target = { header: string[] } | { columns: Columns };

/**
 * One pass over the rows from `pos` (blank lines skipped, as pandas does); a field is [s, e),
 * unquoted or between quotes (then "" stands for "). Returns where it stopped and the rows read.
 */
function scan(buf: Buffer, pos: number, file: string, target: Target): { pos: number; rows: number } {
  const n = buf.length;
  const cols = "columns" in target ? target.columns : undefined;
  const nFields = cols ? cols.names.length : Infinity;
  let row = 0;
  while (pos < n) {
    if (buf[pos] === LF || (buf[pos] === CR && buf[pos + 1] === LF)) {
      pos += buf[pos] === CR ? 2 : 1;
      continue;
    }
    let field = 0;
    if (cols && row >= cols.capacity) grow(cols);
    for (;;) {
      let s = pos;
      let e: number;
      let quoted = false;
      if (buf[pos] === QUOTE) {
        quoted = true;
        s = pos + 1;
        let i = s;
        for (;;) {
          const q = buf.indexOf(QUOTE, i);
          if (q < 0) {
            i = n;
            break;
          }
          if (buf[q + 1] === QUOTE) {
            i = q + 2;
            continue;
          }
          i = q;
          break;
        }
        e = i;
        pos = Math.min(i + 1, n);
        // Text after a closing quote belongs to no field: skip to the separator, as lenient readers do.
        while (pos < n && buf[pos] !== COMMA && buf[pos] !== LF && buf[pos] !== CR) pos++;
      } else {
        let i = pos;
        // Most bytes are above the comma (digits, letters, '-', '.'): one comparison passes them.
        for (; i < n; i++) {
          const b = buf[i];
          if (b <= COMMA && (b === COMMA || b === LF || b === CR)) break;
        }
        e = i;
        pos = i;
      }
      if (!cols) (target as { header: string[] }).header.push(text(buf, s, e, quoted));
      else if (field < nFields) {
        const kind = cols.kinds[field];
        if (kind === STRING || kind === HASH) {
          cols.hashes[field]![row] = hash53(buf, s, e);
          if (kind === STRING) cols.strings[field]!.push(text(buf, s, e, quoted));
        } else if (kind === CATEGORY) cols.interners[field]!.codes[row] = cols.interners[field]!.code(s, e, quoted);
        else if (kind !== SKIP)
          cols.numbers[field]![row] = parseValue(buf, s, e, kind, cols.names[field], file, row + 1);
      }
      field++;
      if (pos < n && buf[pos] === COMMA) {
        pos++;
        if (pos < n) continue;
        if (!cols) (target as { header: string[] }).header.push("");
        field++; // a trailing comma at the very end: one more, empty field
      }
      break;
    }
    if (pos < n) pos += buf[pos] === CR && buf[pos + 1] === LF ? 2 : 1;
    if (!cols) return { pos, rows: 1 };
    if (field !== nFields) {
      throw new InputError({ file, row: row + 1, expected: `${nFields} fields (as in the header)`, found: `${field}` });
    }
    row++;
  }
  return { pos, rows: row };
}

const SKIP = 0;
const STRING = 1;
const CATEGORY = 2;
const NUMBER = 3;
const TIMESTAMP = 4;
const LABEL = 5;
const HASH = 6;
const KIND_CODE: Record<ColumnKind, number> = {
  string: STRING,
  hash: HASH,
  category: CATEGORY,
  number: NUMBER,
  timestamp: TIMESTAMP,
  label: LABEL,
};

/** Two 32-bit FNV-1a-style hashes of the bytes (different primes), as one 53-bit number. */
function hash53(buf: Buffer, s: number, e: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = s; i < e; i++) {
    a = Math.imul(a ^ buf[i], 0x01000193);
    b = Math.imul(b ^ buf[i], 0x5bd1e995);
  }
  return (a >>> 0) * 2097152 + ((b >>> 0) >>> 11);
}

/** Codes of a category column: one code per distinct byte sequence (keyed by length, first and last byte, then compared). */
class Interner {
  readonly values: string[] = [];
  codes = new Int32Array(0);
  private readonly seen = new Map<number, { start: number; code: number }[]>();

  constructor(private readonly buf: Buffer) {}

  grow(capacity: number): void {
    const c = new Int32Array(capacity);
    c.set(this.codes);
    this.codes = c;
  }

  code(s: number, e: number, quoted: boolean): number {
    const buf = this.buf;
    const len = e - s;
    const key = len === 0 ? 0 : len * 65536 + buf[s] * 256 + buf[e - 1];
    let list = this.seen.get(key);
    if (list) {
      outer: for (const c of list) {
        for (let i = 1; i < len - 1; i++) if (buf[c.start + i] !== buf[s + i]) continue outer;
        return c.code;
      }
    } else {
      list = [];
      this.seen.set(key, list);
    }
    const code = this.values.push(text(buf, s, e, quoted)) - 1;
    list.push({ start: s, code });
    return code;
  }
}

function text(buf: Buffer, s: number, e: number, quoted: boolean): string {
  const t = buf.toString("utf8", s, e);
  return quoted && t.includes('"') ? t.replace(/""/g, '"') : t;
}

/** A number, timestamp or label from the bytes [s, e); blank is NaN; anything unparsable an InputError. */
function parseValue(
  buf: Buffer,
  s: number,
  e: number,
  kind: number,
  column: string,
  file: string,
  row: number,
): number {
  if (s === e) return NaN;
  if (kind === TIMESTAMP) {
    const t = parseTimestampBytes(buf, s, e);
    if (Number.isNaN(t)) throw bad(buf, s, e, column, file, row, "a timestamp YYYY-MM-DD HH:MM:SS");
    return t;
  }
  const v = parseNumber(buf, s, e);
  if (Number.isNaN(v) || (kind === LABEL && v !== 1 && v !== 0 && v !== -1)) {
    throw bad(buf, s, e, column, file, row, kind === LABEL ? "1.0, 0.0, -1.0 or blank" : "a number");
  }
  return v;
}

function bad(
  buf: Buffer,
  s: number,
  e: number,
  column: string,
  file: string,
  row: number,
  expected: string,
): InputError {
  return new InputError({
    file,
    row,
    column,
    expected,
    found: JSON.stringify(buf.toString("utf8", s, Math.min(e, s + 60))),
  });
}

/** Decimal numbers without strings (sign, digits, point, digits); anything else goes through Number(). */
function parseNumber(buf: Buffer, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  let v = 0;
  let digits = 0;
  while (i < e && buf[i] >= 48 && buf[i] <= 57) {
    v = v * 10 + (buf[i] - 48);
    i++;
    digits++;
  }
  if (i < e && buf[i] === 46) {
    i++;
    let scale = 1;
    let frac = 0;
    while (i < e && buf[i] >= 48 && buf[i] <= 57 && scale < 1e15) {
      frac = frac * 10 + (buf[i] - 48);
      scale *= 10;
      i++;
      digits++;
    }
    if (i === e && digits > 0) return (neg ? -1 : 1) * (v + frac / scale);
  } else if (i === e && digits > 0 && digits < 16) {
    return neg ? -v : v;
  }
  const t = buf.toString("latin1", s, e).trim();
  return t === "" ? NaN : Number(t);
}

/**
 * Each job (a CSV file, or a table of a DuckDB file) read on a worker thread (a second core reads
 * while this one works). An InputError in the worker is an InputError here, with the same details.
 */
export function readInWorker(jobs: CsvJob[]): Promise<CsvColumns>[] {
  const worker = new Worker(path.join(__dirname, "csvWorker.js"));
  const settle: { resolve: (c: CsvColumns) => void; reject: (e: unknown) => void }[] = [];
  const promises = jobs.map(
    (_, k) =>
      new Promise<CsvColumns>((resolve, reject) => {
        settle[k] = { resolve, reject };
      }),
  );
  // The caller may await them in any order: a failure that comes before its await is not "unhandled".
  for (const p of promises) p.catch(() => undefined);
  let left = jobs.length;
  worker.on("message", (reply: CsvReply) => {
    const p = settle[reply.index];
    if (reply.ok) p.resolve(reply.columns);
    else p.reject(reply.error.details ? new InputError(reply.error.details) : new Error(reply.error.message));
    if (--left === 0) void worker.terminate();
  });
  // A worker that dies fails the jobs still pending (the settled ones ignore it).
  worker.on("error", (e) => settle.forEach((p) => p.reject(e)));
  worker.on("exit", (code) => {
    if (left > 0)
      settle.forEach((p) =>
        p.reject(
          new Error(
            `the worker thread stopped (exit code ${code}) before reading ${jobs.map((j) => ("file" in j ? j.file : `${j.database} (${j.schema}.${j.table})`)).join(", ")}`,
          ),
        ),
      );
  });
  worker.postMessage(jobs);
  return promises;
}
