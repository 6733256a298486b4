/**
 * The same cohort from every MIMIC-IV source: the PhysioNet folders and a DuckDB database in
 * mimic-code's layout built from the same synthetic tables; a bad database names the source and table.
 */
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { DuckDBInstance } from "@duckdb/node-api";
import { build } from "../../src/cohort";
import type { Cohort } from "../../src/cohort";
import { generate } from "../../src/synth";
import type { SynthResult } from "../../src/synth";
import { writeMimicCodeDuckDb } from "../../src/mimic/mimicCodeDatabase";
import { tempDir } from "../support/tempDir";
import { packageRoot } from "../../src/util/paths";

let data: SynthResult;
let dbFile: string;
let fromFolders: Cohort;

before(async () => {
  data = await generate({ dir: tempDir("sources"), patients: 150, seed: 5, quiet: true });
  dbFile = path.join(data.dir, "mimic4.duckdb");
  await writeMimicCodeDuckDb(data.mimicIv, dbFile);
  fromFolders = await build({ mimicCxr: data.mimicCxr, mimicIv: data.mimicIv, quiet: true });
});

test("a DuckDB file in mimic-code's layout gives the folders' cohort: same rows, order, values and report", async () => {
  for (const stayMatch of ["date", "datetime", "last-admission"] as const) {
    const options = { mimicCxr: data.mimicCxr, stayMatch, impute: "model" as const, quiet: true };
    const a = stayMatch === "date" ? fromFolders : await build({ ...options, mimicIv: data.mimicIv });
    const b = await build({ ...options, source: `duckdb:${dbFile}` });
    assert.ok(a.table.numRows() > 300, `${a.table.numRows()} rows`);
    assert.equal(b.table.toCSV(), a.table.toCSV(), stayMatch);
    assert.deepEqual(b.report.steps, a.report.steps);
    assert.deepEqual(b.report.imputed, a.report.imputed);
    assert.deepEqual(
      b.report.inputs.slice(3).map((i) => i.file),
      ["mimiciv_hosp.patients", "mimiciv_hosp.admissions", "mimiciv_icu.icustays"].map((t) => `${dbFile} (${t})`),
    );
  }
});

/** A copy of the database with `sql` run on it. */
async function brokenCopy(name: string, sql: string): Promise<string> {
  const file = path.join(path.dirname(dbFile), name);
  await writeMimicCodeDuckDb(data.mimicIv, file);
  const db = await DuckDBInstance.create(file);
  const con = await db.connect();
  await con.run(sql);
  con.closeSync();
  db.closeSync();
  return file;
}

test("a database without a table, or a table without a column, names the source, table and column", async () => {
  const noColumn = await brokenCopy(
    "no-column.duckdb",
    "ALTER TABLE mimiciv_hosp.admissions DROP COLUMN hospital_expire_flag",
  );
  await assert.rejects(build({ mimicCxr: data.mimicCxr, source: `duckdb:${noColumn}`, quiet: true }), (e: Error) =>
    e.message.startsWith(
      `${noColumn} (mimiciv_hosp.admissions), column "hospital_expire_flag": expected a column named "hospital_expire_flag", found the columns "subject_id", "hadm_id",`,
    ),
  );
  const noTable = await brokenCopy("no-table.duckdb", "DROP TABLE mimiciv_icu.icustays");
  await assert.rejects(build({ mimicCxr: data.mimicCxr, source: `duckdb:${noTable}`, quiet: true }), (e: Error) =>
    e.message.startsWith(
      `${noTable}: expected the table mimiciv_icu.icustays (mimic-code's layout), found only mimiciv_hosp.admissions, mimiciv_hosp.patients.`,
    ),
  );
  await assert.rejects(
    build({ mimicCxr: data.mimicCxr, source: "duckdb:/nonexistent/mimic4.duckdb", quiet: true }),
    /source: expected a DuckDB database file, found nothing there/,
  );
  await assert.rejects(
    build({ mimicCxr: data.mimicCxr, source: "mysql://x", quiet: true }),
    /source: expected duckdb:FILE or postgres:\/\/user@host:port\/database, found another kind of URL\./,
  );
});

test("ehr-msn cohort --source duckdb:FILE writes the CSV that --mimic-iv writes", () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(packageRoot(), "bin", "ehr-msn.js"), "cohort", ...args], {
      encoding: "utf8",
      env: { ...process.env, EHR_MSN_QUIET: "1" },
    });
  const out = (name: string) => path.join(data.dir, name);
  const a = cli("--mimic-cxr", data.mimicCxr, "--mimic-iv", data.mimicIv, "--out", out("folders.csv"), "--quiet");
  const b = cli("--mimic-cxr", data.mimicCxr, "--source", `duckdb:${dbFile}`, "--out", out("duckdb.csv"), "--quiet");
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const csv = fs.readFileSync(out("folders.csv"), "utf8");
  assert.equal(csv.trimEnd().split("\n").length - 1, fromFolders.table.numRows());
  assert.equal(fs.readFileSync(out("duckdb.csv"), "utf8"), csv);
});
