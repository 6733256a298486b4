/**
 * The table shapes figure builders accept, without depending on the cohort layer: an array of row
 * objects, an object of columns, an arquero table or a danfo DataFrame (anything with the same
 * methods). All are read column by column.
 */
import { InputError, describeValue } from "../util/errors";

/** What viz needs of an arquero table. */
export interface ArqueroLike {
  columnNames(): string[];
  array(name: string): ArrayLike<unknown>;
  numRows(): number;
}

/** What viz needs of a danfo DataFrame. */
export interface DanfoLike {
  columns: string[];
  shape: number[];
  column(name: string): { values: ArrayLike<unknown> };
}

export type TableInput =
  readonly Record<string, unknown>[] | Readonly<Record<string, ArrayLike<unknown>>> | ArqueroLike | DanfoLike;

/** A table read as columns. */
export interface Columns {
  n: number;
  names: string[];
  get(name: string): ArrayLike<unknown> | undefined;
}

export function isArqueroLike(x: unknown): x is ArqueroLike {
  const t = x as ArqueroLike | null;
  return (
    typeof t === "object" &&
    t !== null &&
    typeof t.columnNames === "function" &&
    typeof t.array === "function" &&
    typeof t.numRows === "function"
  );
}

export function isDanfoLike(x: unknown): x is DanfoLike {
  const t = x as DanfoLike | null;
  return (
    typeof t === "object" &&
    t !== null &&
    Array.isArray(t.columns) &&
    Array.isArray(t.shape) &&
    typeof t.column === "function"
  );
}

/** Reads any TableInput as columns; `field` names the argument in errors. */
export function columnsOf(t: TableInput, field = "table"): Columns {
  if (isArqueroLike(t)) {
    return {
      n: t.numRows(),
      names: t.columnNames(),
      get: (c) => (t.columnNames().includes(c) ? t.array(c) : undefined),
    };
  }
  if (isDanfoLike(t)) {
    return {
      n: t.shape[0],
      names: [...t.columns],
      get: (c) => (t.columns.includes(c) ? t.column(c).values : undefined),
    };
  }
  if (Array.isArray(t)) {
    const rows = t as readonly Record<string, unknown>[];
    const names = [...new Set(rows.slice(0, 1000).flatMap((r) => (r && typeof r === "object" ? Object.keys(r) : [])))];
    const cache = new Map<string, unknown[]>();
    return {
      n: rows.length,
      names,
      get: (c) => {
        if (!names.includes(c)) return undefined;
        let col = cache.get(c);
        if (!col) {
          col = rows.map((r) => (r && typeof r === "object" ? r[c] : undefined));
          cache.set(c, col);
        }
        return col;
      },
    };
  }
  if (t && typeof t === "object") {
    const cols = t as Readonly<Record<string, ArrayLike<unknown>>>;
    const names = Object.keys(cols);
    let n = -1;
    for (const name of names) {
      const c = cols[name];
      if (!c || typeof c !== "object" || typeof c.length !== "number") {
        throw new InputError({
          field,
          column: name,
          expected: "an array of values (one per row)",
          found: describeValue(c),
        });
      }
      if (n >= 0 && c.length !== n)
        throw new InputError({
          field,
          column: name,
          expected: `${n} values like the other columns`,
          found: `${c.length}`,
        });
      n = c.length;
    }
    return { n: Math.max(n, 0), names, get: (c) => cols[c] };
  }
  throw new InputError({
    field,
    expected: "rows (an array of objects), columns (an object of arrays), an arquero table or a danfo DataFrame",
    found: describeValue(t),
  });
}

/** A column that must exist; the error lists the columns that do. */
export function requireColumn(cols: Columns, name: string, field = "table"): ArrayLike<unknown> {
  const c = cols.get(name);
  if (!c)
    throw new InputError({
      field,
      column: name,
      expected: `a column "${name}"`,
      found: `columns ${cols.names.map((x) => JSON.stringify(x)).join(", ") || "none"}`,
    });
  return c;
}

/** Whether a value counts as missing (null, undefined, NaN or an empty string). */
export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v));
}

/** Column names that hold identifiers (subject, study, dicom, admission, stay, paths). */
const ID_COLUMN = /(^|[^a-z])ids?$|_id$|^id_|^(subject|study|dicom|hadm|stay|patient|path|file)/i;
/** camelCase identifiers (imageId, examID). */
const CAMEL_ID = /[a-z0-9](Id|ID)s?$/;

/** Whether a column name looks like an identifier, which figures leave out unless asked. */
export function isIdColumn(name: string): boolean {
  return ID_COLUMN.test(name) || CAMEL_ID.test(name);
}
