/** A DuckDB database file opened read-only as a MIMIC-IV source. */
import * as fs from "fs";
import { DuckDBInstance } from "@duckdb/node-api";
import { InputError } from "../util/errors";
import type { MimicDatabase } from "./databaseTables";

/** Opens `file`; an InputError when it is not there or not a DuckDB database. */
export async function openDuckDb(file: string): Promise<MimicDatabase> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile())
    throw new InputError({ file, expected: "a DuckDB database file", found: "nothing there" });
  let db: DuckDBInstance;
  try {
    db = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  } catch (e) {
    throw new InputError({ file, expected: "a DuckDB database file", found: `an error (${(e as Error).message})` });
  }
  const con = await db.connect();
  return {
    where: file,
    columns: async (sql, params) => (await con.runAndReadAll(sql, params)).getColumnsJS() as unknown[][],
    close: async () => {
      con.closeSync();
      db.closeSync();
    },
  };
}
