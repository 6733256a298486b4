/**
 * The same cohort from every MIMIC-IV source: the PhysioNet folders and a DuckDB database in
 * mimic-code's layout built from the same synthetic tables; a bad database names the source and table.
 */
import { test, before } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
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
    build({ mimicCxr: data.mimicCxr, source: `duckdb:${data.dir}`, quiet: true }),
    /source: expected a DuckDB database file, found a folder\./,
  );
  const notDuckDb = path.join(data.mimicCxr, "mimic-cxr-2.0.0-metadata.csv.gz");
  await assert.rejects(
    build({ mimicCxr: data.mimicCxr, source: `duckdb:${notDuckDb}`, quiet: true }),
    (e: Error) =>
      e.message ===
      `${notDuckDb}: expected a DuckDB database file, found a file without DuckDB's header (another kind of file?).`,
  );
  await assert.rejects(
    build({ mimicCxr: data.mimicCxr, source: "mysql://x", quiet: true }),
    /source: expected duckdb:FILE or postgres:\/\/user@host:port\/database, found another kind of URL\./,
  );
});

test("the MIMIC-CXR tables from the DuckDB file give the same cohort; a random split and another split file too", async () => {
  const all = path.join(data.dir, "all.duckdb");
  await writeMimicCodeDuckDb(data.mimicIv, all, data.mimicCxr);
  const fromDb = await build({ mimicCxr: data.mimicCxr, source: `duckdb:${all}`, impute: "model", quiet: true });
  assert.equal(fromDb.table.toCSV(), fromFolders.table.toCSV());
  assert.deepEqual(fromDb.report.steps, fromFolders.report.steps);
  assert.deepEqual(
    fromDb.report.inputs.map((i) => i.file),
    ["metadata", "chexpert", "split"]
      .map((t) => `mimiciv_cxr.${t}`)
      .concat(["mimiciv_hosp.patients", "mimiciv_hosp.admissions", "mimiciv_icu.icustays"])
      .map((t) => `${all} (${t})`),
  );
  const splitFile = path.join(data.dir, "my-split.csv");
  const firstRows = fs.readFileSync(path.join(data.mimicCxr, "mimic-cxr-2.0.0-split.csv.gz"));
  fs.writeFileSync(splitFile, zlib.gunzipSync(firstRows).toString("utf8").split("\n").slice(0, 200).join("\n"));
  for (const split of [{ validate: 0.2, test: 0.3, seed: 3 }, splitFile]) {
    const options = { mimicCxr: data.mimicCxr, split, impute: "mode" as const, quiet: true };
    const a = await build({ ...options, mimicIv: data.mimicIv });
    const b = await build({ ...options, source: `duckdb:${all}` });
    assert.ok(a.table.numRows() > 100, `${a.table.numRows()} rows`);
    assert.equal(b.table.toCSV(), a.table.toCSV());
    assert.deepEqual(b.report.steps, a.report.steps);
  }
});

test("a bad value in a database table is named by source, table, row and column", async () => {
  const all = path.join(data.dir, "bad.duckdb");
  await writeMimicCodeDuckDb(data.mimicIv, all, data.mimicCxr);
  const db = await DuckDBInstance.create(all);
  const con = await db.connect();
  await con.run("UPDATE mimiciv_cxr.metadata SET StudyDate = 21800231 WHERE rowid = 4");
  con.closeSync();
  db.closeSync();
  await assert.rejects(build({ mimicCxr: data.mimicCxr, source: `duckdb:${all}`, quiet: true }), (e: Error) =>
    e.message.startsWith(
      `${all} (mimiciv_cxr.metadata), row 5, column "StudyDate": expected a date YYYYMMDD, found 21800231`,
    ),
  );
  const duplicate = await brokenCopy(
    "dup.duckdb",
    "UPDATE mimiciv_hosp.patients SET subject_id = (SELECT min(subject_id) FROM mimiciv_hosp.patients) WHERE rowid = 2",
  );
  await assert.rejects(build({ mimicCxr: data.mimicCxr, source: `duckdb:${duplicate}`, quiet: true }), (e: Error) =>
    e.message.startsWith(
      `${duplicate} (mimiciv_hosp.patients), row 3, column "subject_id": expected a subject_id not seen before, found the subject_id of row 1`,
    ),
  );
});

test("rows deleted from a database table leave rowid gaps; the cohort is the folders' without those rows", async () => {
  const all = path.join(data.dir, "gaps.duckdb");
  await writeMimicCodeDuckDb(data.mimicIv, all, data.mimicCxr);
  const db = await DuckDBInstance.create(all);
  const con = await db.connect();
  const [[dicom]] = (await con.runAndReadAll("SELECT dicom_id FROM mimiciv_cxr.metadata WHERE rowid = 7")).getRows();
  const [[study]] = (await con.runAndReadAll("SELECT study_id FROM mimiciv_cxr.chexpert WHERE rowid = 3")).getRows();
  await con.run("DELETE FROM mimiciv_cxr.metadata WHERE rowid = 7");
  await con.run("DELETE FROM mimiciv_cxr.chexpert WHERE rowid = 3");
  const gaps = await con.runAndReadAll(
    "SELECT (SELECT max(rowid) + 1 - count(*) FROM mimiciv_cxr.metadata), (SELECT max(rowid) + 1 - count(*) FROM mimiciv_cxr.chexpert)",
  );
  con.closeSync();
  db.closeSync();
  assert.deepEqual(gaps.getRows()[0].map(Number), [1, 1], "the deletions leave gaps in the rowids");
  const options = { mimicCxr: data.mimicCxr, impute: "mode" as const, quiet: true };
  const a = await build({ ...options, mimicIv: data.mimicIv });
  const b = await build({ ...options, source: `duckdb:${all}` });
  const [header, ...lines] = a.table.toCSV().split("\n");
  const col = (name: string) => header.split(",").indexOf(name);
  const kept = lines.filter(
    (l) => l.split(",")[col("dicom_id")] !== dicom && l.split(",")[col("study_id")] !== String(study),
  );
  assert.ok(kept.length < lines.length - 1, `${lines.length - kept.length} rows of the deleted image and study`);
  assert.equal(b.table.toCSV(), [header, ...kept].join("\n"));
});

test("a text column where the database should hold numbers or times is read if it converts, else named", async () => {
  const text = await brokenCopy(
    "text-times.duckdb",
    "ALTER TABLE mimiciv_hosp.admissions ALTER admittime TYPE VARCHAR; ALTER TABLE mimiciv_hosp.patients ALTER anchor_age TYPE VARCHAR",
  );
  const options = { mimicCxr: data.mimicCxr, impute: "model" as const, quiet: true };
  assert.equal((await build({ ...options, source: `duckdb:${text}` })).table.toCSV(), fromFolders.table.toCSV());
  const db = await DuckDBInstance.create(text);
  const con = await db.connect();
  await con.run("UPDATE mimiciv_hosp.admissions SET admittime = 'soon' WHERE rowid = 3");
  con.closeSync();
  db.closeSync();
  await assert.rejects(build({ ...options, source: `duckdb:${text}` }), (e: Error) =>
    e.message.startsWith(
      `${text} (mimiciv_hosp.admissions): expected the columns subject_id (number), hadm_id (number), admittime (timestamp), dischtime (timestamp), hospital_expire_flag (number), found a value the database cannot convert (Conversion Error`,
    ),
  );
});

test("a bad value in a CSV file gives the same InputError from both engines", async () => {
  const dir = path.join(data.dir, "bad-cxr");
  fs.cpSync(data.mimicCxr, dir, { recursive: true });
  const metaFile = path.join(dir, "mimic-cxr-2.0.0-metadata.csv.gz");
  const lines = zlib.gunzipSync(fs.readFileSync(metaFile)).toString("utf8").split("\n");
  const header = lines[0].split(",");
  const cells = lines[7].split(",");
  cells[header.indexOf("StudyTime")] = "12:30";
  lines[7] = cells.join(",");
  fs.writeFileSync(metaFile, zlib.gzipSync(lines.join("\n")));
  const splitFile = path.join(data.dir, "bad-split.csv");
  fs.writeFileSync(splitFile, "dicom_id,split\na,train\nb,test\nc,training\n");
  for (const [mimicCxr, split, message] of [
    [dir, undefined, `${metaFile}, row 7, column "StudyTime": expected a number, found "12:30"`],
    [data.mimicCxr, splitFile, `${splitFile}, row 3, column "split": expected train, validate, test, found "training"`],
  ] as const) {
    for (const engine of ["js", "duckdb"] as const)
      await assert.rejects(
        build({ mimicCxr, mimicIv: data.mimicIv, split, engine, quiet: true }),
        (e: Error) => e.message.startsWith(message),
        `${engine}: ${message}`,
      );
  }
});

test("with bad values in two tables the SQL engine names the first table in the JavaScript engine's order", async () => {
  const cxr = path.join(data.dir, "bad-cxr-2");
  const iv = path.join(data.dir, "bad-iv");
  fs.cpSync(data.mimicCxr, cxr, { recursive: true });
  fs.cpSync(data.mimicIv, iv, { recursive: true });
  const spoil = (file: string, column: string, line: number, value: string) => {
    const lines = zlib.gunzipSync(fs.readFileSync(file)).toString("utf8").split("\n");
    const cells = lines[line].split(",");
    cells[lines[0].split(",").indexOf(column)] = value;
    lines[line] = cells.join(",");
    fs.writeFileSync(file, zlib.gzipSync(lines.join("\n")));
  };
  const metaFile = path.join(cxr, "mimic-cxr-2.0.0-metadata.csv.gz");
  spoil(metaFile, "StudyTime", 9, "noon");
  const patientsFile = path.join(iv, "hosp", "patients.csv.gz");
  spoil(patientsFile, "anchor_age", 2, "old");
  await assert.rejects(build({ mimicCxr: data.mimicCxr, mimicIv: iv, engine: "duckdb", quiet: true }), (e: Error) =>
    e.message.startsWith(`${patientsFile}, row 2, column "anchor_age": expected a number, found "old"`),
  );
  await assert.rejects(build({ mimicCxr: cxr, mimicIv: iv, engine: "duckdb", quiet: true }), (e: Error) =>
    e.message.startsWith(`${metaFile}, row 9, column "StudyTime": expected a number, found "noon"`),
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
