/**
 * MIMIC-IV tables read from PostgreSQL in mimic-code's layout (schemas `mimiciv_hosp`, `mimiciv_icu`;
 * MIMIC_CODE_TABLES) into columns, which the SQL engine appends to its in-memory DuckDB
 * (sql/inputs.ts): DuckDB's postgres extension would be a download at run time. A DuckDB file is
 * attached by the SQL engine directly. */
import { InputError } from "../util/errors";
import { requireColumns, type Category, type ColumnSpec, type CsvColumns } from "./csv";

/** An open database: what the reader needs of DuckDB or PostgreSQL. */
export interface MimicDatabase {
  /** How the source is named in messages and the report (never with a password). */
  where: string;
  /** The result of a query, column by column (NULL as null); `$1`... are `params`. */
  columns(sql: string, params?: string[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** Reads the `specs` columns of one table (MIMIC_CODE_TABLES, MIMIC_CXR_DATABASE_TABLES), in its stored order. */
export async function readDatabaseTable(
  db: MimicDatabase,
  { schema, table }: { schema: string; table: string },
  specs: readonly ColumnSpec[],
): Promise<CsvColumns> {
  const where = `${db.where} (${schema}.${table})`;
  const header = await tableColumns(db, schema, table);
  requireColumns(where, header, specs);
  const select = specs.map((s) => `${selectExpression(s)} AS ${quoteIdent(s.name)}`).join(", ");
  let values: unknown[][];
  try {
    values = await db.columns(`SELECT ${select} FROM ${quoteIdent(schema)}.${quoteIdent(table)}`);
  } catch (e) {
    throw new InputError({
      file: where,
      expected: `the columns ${specs.map((s) => `${s.name} (${s.kind})`).join(", ")}`,
      found: `a value the database cannot convert (${(e as Error).message.split("\n")[0]})`,
    });
  }
  const rows = values[0]?.length ?? 0;
  const out: CsvColumns = { file: where, rows, header, strings: {}, hashes: {}, numbers: {}, categories: {} };
  specs.forEach((s, j) => {
    const col = values[j] ?? [];
    if (s.kind === "category") out.categories[s.name] = categories(col as (string | null)[]);
    // A key hash (csv.ts) is for the JavaScript engine; the SQL engine that reads databases joins the text.
    else if (s.kind === "string" || s.kind === "hash")
      out.strings[s.name] = (col as (string | null)[]).map((v) => v ?? "");
    else out.numbers[s.name] = Float64Array.from(col as (number | null)[], (v) => (v === null ? NaN : v));
  });
  return out;
}

/** Whether the database holds `schema.table`. */
export async function hasTable(db: MimicDatabase, { schema, table }: { schema: string; table: string }) {
  const [n] = await db.columns(
    "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
    [schema, table],
  );
  return Number(n?.[0]) > 0;
}

/** The table's columns, or an InputError naming the source and the table when the table is not there. */
async function tableColumns(db: MimicDatabase, schema: string, table: string): Promise<string[]> {
  const [names] = await db.columns(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
    [schema, table],
  );
  if (names && names.length > 0) return names as string[];
  const [found] = await db.columns(
    "SELECT DISTINCT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema LIKE 'mimic%' ORDER BY 1",
  );
  const tables = (found ?? []) as string[];
  throw new InputError({
    file: db.where,
    expected: `the table ${schema}.${table} (mimic-code's layout)`,
    found: tables.length ? `only ${tables.join(", ")}` : "no MIMIC tables",
    hint: "Build the database with mimic-code's scripts (mimic-iv/buildmimic/duckdb or postgres).",
  });
}

/** The SQL that gives a column as the CSV reader would: numbers as doubles, times as seconds since 1970, text as text. */
function selectExpression(s: ColumnSpec): string {
  const c = quoteIdent(s.name);
  if (s.kind === "timestamp") return `CAST(EXTRACT(EPOCH FROM CAST(${c} AS TIMESTAMP)) AS DOUBLE PRECISION)`;
  if (s.kind === "number" || s.kind === "label") return `CAST(${c} AS DOUBLE PRECISION)`;
  return `CAST(${c} AS VARCHAR)`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Codes in order of first appearance, NULL as "" (a blank CSV field). */
function categories(col: readonly (string | null)[]): Category {
  const index = new Map<string, number>();
  const values: string[] = [];
  const codes = new Int32Array(col.length);
  col.forEach((v, i) => {
    const text = v ?? "";
    let c = index.get(text);
    if (c === undefined) {
      c = values.length;
      index.set(text, c);
      values.push(text);
    }
    codes[i] = c;
  });
  return { codes, values };
}
