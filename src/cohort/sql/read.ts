/**
 * Reading DuckDB results into typed arrays, whole blocks at a time. The vectors' per-value `getItem`
 * checks validity with BigInt arithmetic, and decodes each string on its own (those over 12 bytes
 * through a native call): read that way, the cohort's result had cost more than all its SQL.
 */
import { DuckDBTypeId, type DuckDBConnection, type DuckDBMaterializedResult } from "@duckdb/node-api";

export type NumberArray = Float64Array | Float32Array | Int32Array | Int8Array | Uint8Array;

/** The array each column type is read into. */
const ARRAYS: Partial<Record<DuckDBTypeId, new (n: number) => NumberArray>> = {
  [DuckDBTypeId.DOUBLE]: Float64Array,
  [DuckDBTypeId.FLOAT]: Float32Array,
  [DuckDBTypeId.INTEGER]: Int32Array,
  [DuckDBTypeId.TINYINT]: Int8Array,
  [DuckDBTypeId.UTINYINT]: Uint8Array,
};

/**
 * The columns of a result whose first column, `row` (INTEGER), numbers its rows 0..n-1 in any order:
 * each other column as a typed array (ARRAYS) with the value of row r at index r. The result must
 * hold no NULL (the queries give -1 or NaN instead): a NULL's place in a vector holds no value.
 */
export function columnsByRow(result: DuckDBMaterializedResult, n: number): Record<string, NumberArray> {
  const names = result.columnNames();
  const types = result.columnTypes();
  if (names[0] !== "row" || types[0].typeId !== DuckDBTypeId.INTEGER)
    throw new Error(`columnsByRow: the first column must be row INTEGER, not ${names[0]} ${types[0]}`);
  const out = types.slice(1).map((t, j) => {
    const Array = ARRAYS[t.typeId];
    if (!Array) throw new Error(`columnsByRow: no array for ${names[j + 1]} ${t}`);
    return new Array(n);
  });
  for (let k = 0; k < result.chunkCount; k++) {
    const chunk = result.getChunk(k);
    const row = itemsOf(chunk.getColumnVector(0)) as Int32Array;
    // DuckDB mostly keeps the rows in order: then a chunk is copied in one block.
    const first = row[0];
    let inOrder = true;
    for (let i = 1; i < row.length && inOrder; i++) inOrder = row[i] === first + i;
    out.forEach((col, j) => {
      const items = itemsOf(chunk.getColumnVector(j + 1));
      if (inOrder) col.set(items, first);
      else for (let i = 0; i < row.length; i++) col[row[i]] = items[i];
    });
  }
  return Object.fromEntries(names.slice(1).map((name, j) => [name, out[j]]));
}

/** A number vector's values (`items`: its data in @duckdb/node-api 1.5.6, which package.json pins). */
function itemsOf(vector: unknown): NumberArray {
  const items = (vector as { items?: unknown }).items;
  if (!ArrayBuffer.isView(items)) throw new Error("@duckdb/node-api: a number vector without items");
  return items as NumberArray;
}

/**
 * One text column of `relation` (whose `row` numbers its rows 0..n-1) in row order, NULL as "": read
 * as a few long strings (the values of 2048 rows joined by newlines, each group sorted on its own,
 * which costs half a sort of them all) and split, unless a value holds a newline (then value by value).
 */
export async function textByRow(con: DuckDBConnection, relation: string, column: string): Promise<string[]> {
  const GROUP = 2048;
  const groups = (
    await con.runAndReadAll(
      `SELECT row // ${GROUP}, count(*), string_agg(coalesce(${column}, ''), chr(10) ORDER BY row)
       FROM ${relation} GROUP BY ALL ORDER BY 1`,
    )
  ).getRows();
  const parts = groups.map(([, n, joined]) => {
    const values = (joined as string).split("\n");
    return values.length === Number(n) ? values : undefined;
  });
  if (parts.every((p) => p !== undefined)) return ([] as string[]).concat(...parts);
  const r = await con.runAndReadAll(`SELECT coalesce(${column}, '') FROM ${relation} ORDER BY row`);
  return r.getColumns()[0] as string[];
}
