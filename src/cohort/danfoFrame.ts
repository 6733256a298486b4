/**
 * arquero tables as danfo DataFrames, fast at MIMIC's size, and the danfo calls that are not.
 *
 * danfo keeps every frame twice, as column arrays and as one array per row, and its constructor,
 * given columns, transposes them into rows and back and infers each column's type from its first
 * rows: 5 s for the 376,517 x 29 cohort (docs/danfo.md). Most of what a notebook does with the cohort
 * (a column, a mask, `query`, handing the selection back to `cohort.select`) never reads the rows. So
 * `toDanfo` fills only the column arrays, types each column over all its values, and makes the row
 * arrays on the first danfo call that reads them (`values`, `head`, `groupby`, ...); its `query` and
 * `loc` with a boolean mask and column names gather the columns and return a frame of the same kind.
 * This writes danfo's internal fields (`$data`, `$dataIncolumnFormat`, `$index`, `$dtypes`), which is
 * safe because danfojs-node is pinned at 1.2.0, its last release; a test checks that the result equals
 * `new DataFrame(columns)` and danfo's own `query` and `loc` field by field and in use.
 */
import type { ColumnTable } from "arquero";
import type { DataFrame } from "danfojs-node";

/** Rows above which danfo calls known to blow up get a warning (they are fine on small frames). */
export const LARGE_FRAME_ROWS = 50_000;

/**
 * The danfo calls that do not finish, or take minutes, at MIMIC's size (measured in `npm run bench --
 * danfo`), with what to use instead. Instance methods are wrapped on large frames to say so once.
 */
export const SLOW_DANFO_CALLS: Readonly<Record<string, string>> = {
  describe: "cohort.describe(c) (arquero, per split)",
  sortValues: "sort the arquero table (c.table.orderby(...)) and convert the result",
  groupby: "cohort.valueCounts / cohort.perPatient, or group the arquero table (c.table.groupby(...))",
};

/** Groups above which danfo's groupby warns: over the 65,000 patients its count() did not finish in 60 s. */
export const MANY_GROUPS = 1_000;

/** danfo's internal fields that `toDanfo` fills (see the file comment). */
interface DanfoInternals {
  $data: unknown[][];
  $dataIncolumnFormat: unknown[][];
  $index: unknown[];
  $dtypes: string[];
  $columns: string[];
}

export interface ToDanfoOptions {
  /** Where the warning about a slow danfo call goes; default console.warn. */
  warn?: (message: string) => void;
}

/**
 * A danfo DataFrame with the columns of an arquero table, in table order, index 0..n-1. The values are
 * copies: changing the DataFrame leaves the table as it was.
 */
export function toDanfo(table: ColumnTable, opts: ToDanfoOptions = {}): DataFrame {
  const names = table.columnNames();
  const columns = names.map((c) => columnCopy(table, c));
  const index: number[] = new Array(table.numRows());
  for (let i = 0; i < index.length; i++) index[i] = i;
  return columnarFrame(names, columns, columns.map(danfoDtype), index, opts.warn ?? ((m) => console.warn(m)));
}

/**
 * The values of a DataFrame's column without making a Series (which copies the index and checks it
 * for duplicates), or undefined when it has no such column.
 */
export function danfoColumn(df: DataFrame, name: string): ArrayLike<unknown> | undefined {
  const j = df.columns.indexOf(name);
  if (j < 0) return undefined;
  const own = (df as unknown as DanfoInternals).$dataIncolumnFormat?.[j];
  return Array.isArray(own) && own.length === df.index.length ? own : (df.column(name).values as unknown[]);
}

/**
 * The dtype danfo would infer for a column if it looked at every value (danfo looks at the first 500
 * only): string over float32 over int32 over boolean over datetime; a missing value (null, undefined,
 * NaN) counts as a float, as in danfo.
 */
export function danfoDtype(column: ArrayLike<unknown>): string {
  let float = false;
  let int = false;
  let bool = false;
  let date = false;
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (typeof v === "string") return "string";
    if (typeof v === "boolean") bool = true;
    else if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) float = true;
    else if (v instanceof Date) date = true;
    else if (typeof v === "number" || typeof v === "bigint") {
      if (Number.isInteger(Number(v))) int = true;
      else float = true;
    } else return "string";
  }
  return float ? "float32" : int ? "int32" : bool ? "boolean" : date ? "datetime" : "undefined";
}

/** A column of `table` as a new plain array (danfo's Series expect arrays, not typed arrays). */
function columnCopy(table: ColumnTable, name: string): unknown[] {
  const backing = table.column(name) as unknown;
  // Unfiltered, unordered tables: copy the backing array directly, without arquero's per-row scan.
  if (!table.isFiltered() && !table.isOrdered()) {
    if (Array.isArray(backing)) return backing.slice();
    if (ArrayBuffer.isView(backing)) {
      // A loop, not Array.from, which takes V8's generic iterator path on typed arrays (about 4x slower).
      const typed = backing as unknown as ArrayLike<number>;
      const out: number[] = new Array(typed.length);
      for (let i = 0; i < typed.length; i++) out[i] = typed[i];
      return out;
    }
  }
  return table.array(name) as unknown[];
}

/**
 * An empty DataFrame given `columns` (and `index`) as its data: the row arrays are made when danfo
 * first reads them, `shape` comes from the columns until then, and `query` and `loc` with a boolean
 * mask and column names stay columnar. Large frames also warn on the calls of SLOW_DANFO_CALLS.
 */
function columnarFrame(
  names: string[],
  columns: unknown[][],
  dtypes: string[],
  index: unknown[],
  warn: (message: string) => void,
): DataFrame {
  // danfo pulls TensorFlow.js in: load it only when asked for.
  const dfd = require("danfojs-node") as typeof import("danfojs-node");
  const df = new dfd.DataFrame([], { columns: names, dtypes });
  const internals = df as unknown as DanfoInternals;
  internals.$dataIncolumnFormat = columns;
  internals.$index = index;
  internals.$dtypes = dtypes;
  rowsOnDemand(df);
  /** The rows at `positions` (all when undefined) and the columns at `picked` (all when undefined). */
  const subset = (positions: number[] | undefined, picked: number[] | undefined): DataFrame => {
    const cols = picked ?? internals.$columns.map((_, j) => j);
    const current = internals.$dataIncolumnFormat;
    const at = internals.$index;
    return columnarFrame(
      cols.map((j) => internals.$columns[j]),
      cols.map((j) => (positions ? positions.map((i) => current[j][i]) : current[j].slice())),
      cols.map((j) => internals.$dtypes[j]),
      positions ? positions.map((i) => at[i]) : at.slice(),
      warn,
    );
  };
  const danfoQuery = df.query;
  Object.defineProperty(df, "query", {
    configurable: true,
    enumerable: false,
    value: (condition: unknown, options?: { inplace?: boolean }) => {
      const mask = booleanMask(condition, internals.$index.length);
      if (!mask || options?.inplace) return danfoQuery.call(df, condition as never, options as never);
      return subset(truePositions(mask), undefined);
    },
  });
  // danfo's loc looks every row label up with indexOf: 70 CPU s for the cohort's columns.
  const danfoLoc = df.loc;
  Object.defineProperty(df, "loc", {
    configurable: true,
    enumerable: false,
    value: (args: { rows?: unknown; columns?: unknown }) => {
      const mask = args?.rows === undefined ? undefined : booleanMask(args.rows, internals.$index.length);
      const picked = args?.columns === undefined ? undefined : namedColumns(args.columns, internals.$columns);
      if ((args?.rows !== undefined && !mask) || (args?.columns !== undefined && !picked))
        return danfoLoc.call(df, args as never);
      return subset(mask && truePositions(mask), picked);
    },
  });
  if (index.length > LARGE_FRAME_ROWS) warnOnSlowCalls(df, index.length, warn);
  return df;
}

/**
 * `$data` (the row arrays) as a property that makes them from the current columns on first read and
 * then becomes a plain field again; `shape` answers from the columns while the rows are not made.
 */
function rowsOnDemand(df: DataFrame): void {
  const internals = df as unknown as DanfoInternals;
  const plain = (rows: unknown[][]) =>
    Object.defineProperty(df, "$data", { value: rows, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(df, "$data", {
    configurable: true,
    enumerable: true,
    get: () => {
      const columns = internals.$dataIncolumnFormat;
      const n = internals.$index.length;
      const rows: unknown[][] = new Array(n);
      for (let i = 0; i < n; i++) {
        const row = new Array(columns.length);
        for (let j = 0; j < columns.length; j++) row[j] = columns[j][i];
        rows[i] = row;
      }
      plain(rows);
      return rows;
    },
    set: plain,
  });
  const danfoShape = inheritedGetter(df, "shape");
  Object.defineProperty(df, "shape", {
    configurable: true,
    enumerable: false,
    get: () =>
      Object.getOwnPropertyDescriptor(df, "$data")!.get
        ? [internals.$index.length, internals.$columns.length]
        : danfoShape.call(df),
  });
}

/** The getter of `name` that `obj` inherits (danfo defines `shape` on its NDframe prototype). */
function inheritedGetter(obj: object, name: string): () => unknown {
  for (let p = Object.getPrototypeOf(obj); p; p = Object.getPrototypeOf(p)) {
    const get = Object.getOwnPropertyDescriptor(p, name)?.get;
    if (get) return get;
  }
  throw new Error(`danfo's DataFrame has no ${name} getter: is danfojs-node still 1.2.0?`);
}

/** The positions of the true values of a mask. */
function truePositions(mask: ArrayLike<boolean>): number[] {
  const kept: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) kept.push(i);
  return kept;
}

/**
 * The positions of a list of column names, or undefined for anything else (a "a:c" range, an unknown
 * name), which danfo's own `loc` then handles or rejects.
 */
function namedColumns(columns: unknown, names: string[]): number[] | undefined {
  if (!Array.isArray(columns) || columns.some((c) => typeof c !== "string" || !names.includes(c))) return undefined;
  return columns.map((c: string) => names.indexOf(c));
}

/**
 * The booleans of a query condition (a boolean Series or array with one value per row), or undefined
 * for anything else, which danfo's own `query` then handles (or rejects) as it always does.
 */
function booleanMask(condition: unknown, rows: number): ArrayLike<boolean> | undefined {
  const values =
    condition && typeof condition === "object" && !Array.isArray(condition) && "values" in condition
      ? (condition as { values: unknown }).values
      : condition;
  if (!Array.isArray(values) || values.length !== rows) return undefined;
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== "boolean") return undefined;
  return values as boolean[];
}

/** The number of groups of `df.groupby(columns)`, counted up to MANY_GROUPS + 1 (0 for columns it has not). */
function groupCount(df: DataFrame, columns: unknown): number {
  if (!Array.isArray(columns)) return 0;
  const values = columns.map((c) => danfoColumn(df, String(c)));
  if (values.some((v) => !v)) return 0;
  const seen = new Set<unknown>();
  for (let i = 0; i < df.index.length && seen.size <= MANY_GROUPS; i++)
    seen.add(values.length === 1 ? values[0]![i] : JSON.stringify(values.map((v) => v![i])));
  return seen.size;
}

/**
 * Wraps the slow instance methods of `df` so that the first call says what to use instead (groupby
 * only over more than MANY_GROUPS groups: over splits or views it takes a second or two).
 */
function warnOnSlowCalls(df: DataFrame, rows: number, warn: (message: string) => void): void {
  const target = df as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [method, instead] of Object.entries(SLOW_DANFO_CALLS)) {
    const original = target[method];
    let warned = false;
    Object.defineProperty(df, method, {
      configurable: true,
      enumerable: false,
      value: (...args: unknown[]) => {
        if (!warned && (method !== "groupby" || groupCount(df, args[0]) > MANY_GROUPS)) {
          warn(`danfo's ${method}() takes minutes or does not finish at ${rows} rows (docs/danfo.md); use ${instead}.`);
          warned = true;
        }
        return original.apply(df, args);
      },
    });
  }
}
