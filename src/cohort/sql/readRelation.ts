/**
 * A database table read into the JavaScript engine's columns (CsvColumns) through a relation of
 * sql/inputs.ts: the same checks of its table, columns and conversions, and the same `row` numbering
 * (its stored order, rowid gaps closed), as when the SQL engine reads it. This is how MIMIC-IV comes from
 * a DuckDB file when MIMIC-CXR comes from its files (ivTables.ts says why).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Category, ColumnSpec, CsvColumns } from "../csv";
import { defineRelation, type SqlTableName, type TableSource } from "./inputs";
import { columnsByRow } from "./read";
import { ident } from "./steps";

/**
 * The `specs` columns of `source` (numbers and times as Float64Array, NaN for NULL; categories coded).
 * Text keys are not read here: the JavaScript engine joins them by the CSV reader's byte hashes.
 */
export async function readRelationColumns(
  con: DuckDBConnection,
  name: SqlTableName,
  source: TableSource,
  specs: readonly ColumnSpec[],
): Promise<CsvColumns> {
  const keys = specs.filter((s) => s.kind === "string" || s.kind === "hash");
  if (keys.length) throw new Error(`readRelationColumns: text keys (${keys.map((s) => s.name)}) are not read here`);
  const { where, rows } = await defineRelation(con, name, source, specs);
  const out: CsvColumns = {
    file: where,
    rows,
    header: specs.map((s) => s.name),
    strings: {},
    hashes: {},
    numbers: {},
    categories: {},
  };
  const numeric = specs.filter((s) => s.kind !== "category");
  if (numeric.length) {
    const select = numeric.map((s) => `coalesce(${ident(s.name)}, 'NaN'::DOUBLE) AS ${ident(s.name)}`).join(", ");
    const result = await con.run(`SELECT row, ${select} FROM ${name}`);
    Object.assign(out.numbers, columnsByRow(result, rows));
  }
  for (const s of specs) if (s.kind === "category") out.categories[s.name] = await categoryOf(con, name, s.name, rows);
  return out;
}

/**
 * A text column as a category: its values in order of first appearance and each row's code, worked
 * out by the database (reading the text of every row, then coding it here, had cost three times more).
 */
async function categoryOf(con: DuckDBConnection, relation: string, column: string, rows: number): Promise<Category> {
  const c = ident(column);
  await con.run(
    `CREATE OR REPLACE TEMP TABLE codes AS
     SELECT value, CAST(row_number() OVER (ORDER BY first) - 1 AS INTEGER) AS code
     FROM (SELECT ${c} AS value, min(row) AS first FROM ${relation} GROUP BY 1)`,
  );
  const values = (await con.runAndReadAll("SELECT value FROM codes ORDER BY code")).getColumns()[0] as string[];
  const result = await con.run(`SELECT r.row, k.code FROM ${relation} r JOIN codes k ON k.value = r.${c}`);
  return { values, codes: columnsByRow(result, rows).code as Int32Array };
}
