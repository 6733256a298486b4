/**
 * arquero tables as danfo DataFrames, fast at MIMIC's size, and the danfo calls that are not.
 *
 * danfo's own constructor, given columns, transposes them into row arrays and back into columns and
 * infers each column's type from its first rows: 5 s for the 376,517 x 29 cohort (docs/danfo.md). We
 * build both layouts danfo keeps in one pass each and infer the types over whole columns, then hand
 * them to an empty DataFrame. This writes danfo's internal fields (`$data`, `$dataIncolumnFormat`,
 * `$index`, `$dtypes`), which is safe because danfojs-node is pinned at 1.2.0, its last release; a test
 * checks that the result equals `new DataFrame(columns)` field by field and in use.
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
};

/** danfo's internal fields that `toDanfo` fills (see the file comment). */
interface DanfoInternals {
  $data: unknown[][];
  $dataIncolumnFormat: unknown[][];
  $index: number[];
  $dtypes: string[];
}

/**
 * A danfo DataFrame with the columns of an arquero table, in table order, index 0..n-1. The values are
 * copies: changing the DataFrame leaves the table as it was.
 */
export function toDanfo(table: ColumnTable, opts: { warn?: (message: string) => void } = {}): DataFrame {
  // danfo pulls TensorFlow.js in: load it only when asked for.
  const dfd = require("danfojs-node") as typeof import("danfojs-node");
  const names = table.columnNames();
  const n = table.numRows();
  const columns = names.map((c) => {
    const a = table.array(c) as ArrayLike<unknown>;
    return Array.isArray(a) ? a.slice() : Array.from(a);
  });
  const dtypes = columns.map(danfoDtype);
  const rows: unknown[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = new Array(names.length);
    for (let j = 0; j < names.length; j++) row[j] = columns[j][i];
    rows[i] = row;
  }
  const index: number[] = new Array(n);
  for (let i = 0; i < n; i++) index[i] = i;
  const df = new dfd.DataFrame([], { columns: names, dtypes });
  const internals = df as unknown as DanfoInternals;
  internals.$data = rows;
  internals.$dataIncolumnFormat = columns;
  internals.$index = index;
  internals.$dtypes = dtypes;
  if (n > LARGE_FRAME_ROWS) warnOnSlowCalls(df, n, opts.warn ?? ((m) => console.warn(m)));
  return df;
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

/** Wraps the slow instance methods of `df` so that the first call says what to use instead. */
function warnOnSlowCalls(df: DataFrame, rows: number, warn: (message: string) => void): void {
  const target = df as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [method, instead] of Object.entries(SLOW_DANFO_CALLS)) {
    const original = target[method];
    let warned = false;
    Object.defineProperty(df, method, {
      configurable: true,
      enumerable: false,
      value: (...args: unknown[]) => {
        if (!warned) {
          warn(`danfo's ${method}() takes minutes or does not finish at ${rows} rows (docs/danfo.md); use ${instead}.`);
          warned = true;
        }
        return original.apply(df, args);
      },
    });
  }
}
