/** A PostgreSQL database (mimic-code's PostgreSQL build) as a MIMIC-IV source, through `pg`. */
import { Client } from "pg";
import { InputError } from "../util/errors";
import type { MimicDatabase } from "./databaseTables";

/** The connection URL with its password replaced, fit for messages and reports. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "a postgres:// URL";
  }
}

/** Connects to `url` (postgres://user[:password]@host[:port]/database); an InputError says where it tried. */
export async function openPostgres(url: string): Promise<MimicDatabase> {
  const where = redactUrl(url);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10000 });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    const message = (e as Error).message || (e as NodeJS.ErrnoException).code || String(e);
    throw new InputError({
      file: where,
      expected: "a PostgreSQL server that accepts the connection",
      found: `an error (${message.split(url).join(where)})`,
    });
  }
  return {
    where,
    columns: async (sql, params) => {
      const r = await client.query({ text: sql, values: params, rowMode: "array" });
      const out: unknown[][] = r.fields.map(() => new Array(r.rows.length));
      r.rows.forEach((row: unknown[], i: number) => row.forEach((v, j) => (out[j][i] = v)));
      return out;
    },
    close: () => client.end(),
  };
}
