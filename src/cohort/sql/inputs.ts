/**
 * The six relations the SQL steps read (sql/steps.ts), defined in an in-memory DuckDB over each
 * table's source: a CSV file (`read_csv`, kept as text and parsed in a view, so that a value that
 * does not parse is named by file, row and column), a table of an attached DuckDB file in mimic-code's
 * layout, or columns already read from PostgreSQL. Each source is checked for its table and columns.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError, describeValue } from "../../util/errors";
import { requireColumns, type ColumnSpec, type CsvColumns } from "../csv";
import { ident } from "./steps";

export type SqlTableName = "metadata" | "chexpert" | "split" | "patients" | "admissions" | "icustays";

/** Where one table comes from. */
export type TableSource =
  { file: string } | { database: string; where: string; schema: string; table: string } | { columns: CsvColumns };

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The SQL that gives a column as the steps read it: numbers as DOUBLE, times as seconds since 1970, text as text. */
function normalized(s: ColumnSpec, c: string, parse: "CAST" | "TRY_CAST"): string {
  if (s.kind === "timestamp") return `epoch(${parse}(${c} AS TIMESTAMP))`;
  if (s.kind === "number" || s.kind === "label") return `${parse}(${c} AS DOUBLE)`;
  return `coalesce(CAST(${c} AS VARCHAR), '')`;
}

/** What the CSV reader expects of a column kind that must parse (csv.ts's messages). */
const PARSED: Partial<Record<ColumnSpec["kind"], string>> = {
  number: "a number",
  label: "1.0, 0.0, -1.0 or blank",
  timestamp: "a date YYYY-MM-DD[ HH:MM:SS]",
};

/** Column names of a relation (empty when it is not there). */
async function columnNames(con: DuckDBConnection, relation: string): Promise<string[]> {
  const r = await con.runAndReadAll(`SELECT * FROM ${relation} LIMIT 0`);
  return r.columnNames();
}

/** Defines the relation `name` over its source; returns how the source is named and its rows. */
export async function defineRelation(
  con: DuckDBConnection,
  name: SqlTableName,
  source: TableSource,
  specs: readonly ColumnSpec[],
): Promise<{ where: string; rows: number }> {
  if ("file" in source) return fromCsv(con, name, source.file, specs);
  if ("columns" in source) return fromColumns(con, name, source.columns, specs);
  const { database, where, schema, table } = source;
  const columns = (
    await con.runAndReadAll(
      `SELECT column_name, data_type FROM duckdb_columns()
       WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 ORDER BY column_index`,
      [database, schema, table],
    )
  ).getRows() as [string, string][];
  const header = columns.map((c) => c[0]);
  if (header.length === 0) {
    const tables = (
      await con.runAndReadAll(
        `SELECT DISTINCT schema_name || '.' || table_name FROM duckdb_tables()
         WHERE database_name = $1 AND schema_name LIKE 'mimic%' ORDER BY 1`,
        [database],
      )
    ).getRows();
    throw new InputError({
      file: where,
      expected: `the table ${schema}.${table} (mimic-code's layout)`,
      found: tables.length ? `only ${tables.map((t) => t[0]).join(", ")}` : "no MIMIC tables",
      hint: "Build the database with mimic-code's scripts (mimic-iv/buildmimic/duckdb or postgres).",
    });
  }
  const relation = `${ident(database)}.${ident(schema)}.${ident(table)}`;
  const file = `${where} (${schema}.${table})`;
  requireColumns(file, header, specs);
  const [[count, last]] = (await con.runAndReadAll(`SELECT count(*), max(rowid) FROM ${relation}`)).getRows();
  const rows = Number(count);
  // `row` is the rowid where the rowids run 0..n-1, as after a load; rows deleted since the table was
  // last rewritten leave gaps, and then the rows are numbered in a copy.
  const dense = last === null ? rows === 0 : Number(last) === rows - 1;
  const select = specs.map((s) => `${normalized(s, ident(s.name), "CAST")} AS ${ident(s.name)}`).join(", ");
  const type = new Map(columns);
  const mayFail = specs.filter((s) => !castCannotFail(s, type.get(s.name)!));
  try {
    if (dense) await con.run(`CREATE OR REPLACE VIEW ${name} AS SELECT ${ROW} AS row, ${select} FROM ${relation}`);
    else
      await con.run(
        `CREATE OR REPLACE TABLE ${name} AS
         SELECT CAST(row_number() OVER (ORDER BY rowid) - 1 AS INTEGER) AS row, ${select} FROM ${relation}`,
      );
    // A cast that can fail fails here, on a scan of those columns, rather than in a later step.
    if (mayFail.length)
      await con.run(`SELECT ${mayFail.map((s) => `count(${ident(s.name)})`).join(", ")} FROM ${name}`);
    return { where: file, rows };
  } catch (e) {
    throw new InputError({
      file,
      expected: `the columns ${specs.map((s) => `${s.name} (${s.kind})`).join(", ")}`,
      found: `a value the database cannot convert (${(e as Error).message.split("\n")[0]})`,
    });
  }
}

/** `row`: the rowid as INTEGER, the type the result readers (sql/read.ts) take. */
const ROW = "CAST(rowid AS INTEGER)";

/** Whether a column of database type `type` always converts to what `normalized` makes of it (mimic-code's types do). */
function castCannotFail(s: ColumnSpec, type: string): boolean {
  if (s.kind === "timestamp") return /^(TIMESTAMP(_S|_MS|_NS)?|DATE)$/.test(type);
  if (s.kind === "number" || s.kind === "label")
    return /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/.test(type);
  return true;
}

/** A CSV file read by DuckDB as text; each value that must parse and does not is an InputError at its row. */
async function fromCsv(
  con: DuckDBConnection,
  name: SqlTableName,
  file: string,
  specs: readonly ColumnSpec[],
): Promise<{ where: string; rows: number }> {
  const raw = `raw_${name}`;
  await con.run(
    `CREATE OR REPLACE TABLE ${raw} AS SELECT * FROM read_csv(${quote(file)}, header = true, all_varchar = true)`,
  );
  requireColumns(file, await columnNames(con, raw), specs);
  for (const s of specs) {
    const expected = PARSED[s.kind];
    if (!expected) continue;
    const c = ident(s.name);
    const bad = (
      await con.runAndReadAll(
        `SELECT rowid, ${c} FROM ${raw} WHERE ${c} IS NOT NULL AND ${normalized(s, c, "TRY_CAST")} IS NULL ORDER BY rowid LIMIT 1`,
      )
    ).getRows();
    if (bad.length)
      throw new InputError({
        file,
        row: Number(bad[0][0]) + 1,
        column: s.name,
        expected,
        found: describeValue(bad[0][1]),
      });
  }
  const select = specs.map((s) => `${normalized(s, ident(s.name), "TRY_CAST")} AS ${ident(s.name)}`).join(", ");
  await con.run(`CREATE OR REPLACE VIEW ${name} AS SELECT ${ROW} AS row, ${select} FROM ${raw}`);
  const [[rows]] = (await con.runAndReadAll(`SELECT count(*) FROM ${raw}`)).getRows();
  return { where: file, rows: Number(rows) };
}

/** Columns already read (from PostgreSQL, by databaseTables.ts) appended to a table of the in-memory database. */
async function fromColumns(
  con: DuckDBConnection,
  name: SqlTableName,
  t: CsvColumns,
  specs: readonly ColumnSpec[],
): Promise<{ where: string; rows: number }> {
  const text = (s: ColumnSpec) => s.kind === "string" || s.kind === "category" || s.kind === "hash";
  const table = `loaded_${name}`;
  const columns = specs.map((s) => `${ident(s.name)} ${text(s) ? "VARCHAR" : "DOUBLE"}`).join(", ");
  await con.run(`CREATE OR REPLACE TABLE ${table} (${columns})`);
  const appender = await con.createAppender(table);
  for (let i = 0; i < t.rows; i++) {
    for (const s of specs) {
      if (s.kind === "category") {
        const c = t.categories[s.name];
        appender.appendVarchar(c.values[c.codes[i]]);
      } else if (text(s)) appender.appendVarchar(t.strings[s.name][i]);
      else if (Number.isNaN(t.numbers[s.name][i])) appender.appendNull();
      else appender.appendDouble(t.numbers[s.name][i]);
    }
    appender.endRow();
  }
  appender.closeSync();
  // Times are already seconds since 1970 here: no conversion but the names.
  await con.run(
    `CREATE OR REPLACE VIEW ${name} AS SELECT ${ROW} AS row, ${specs.map((s) => ident(s.name)).join(", ")} FROM ${table}`,
  );
  return { where: t.file, rows: t.rows };
}

/** An empty split relation (for a random split, which is made after the SQL steps). */
export async function defineNoSplit(con: DuckDBConnection): Promise<void> {
  await con.run(`CREATE OR REPLACE VIEW split AS SELECT 0 AS row, '' AS dicom_id, '' AS split WHERE false`);
}
