/**
 * The SQL engine's result readers (src/cohort/sql/read.ts): values land at their row whatever order
 * DuckDB gives them in, and text is read whole even where a value holds the separator; a database
 * table read into the JavaScript engine's columns (src/cohort/sql/readRelation.ts).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import * as path from "node:path";
import { columnsByRow, textByRow } from "../../src/cohort/sql/read";
import { readRelationColumns } from "../../src/cohort/sql/readRelation";
import { openDuckDbMemory } from "../../src/cohort/sql/run";
import { tempDir } from "../support/tempDir";

async function withDuckDb(f: (con: Awaited<ReturnType<DuckDBInstance["connect"]>>) => Promise<void>): Promise<void> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await f(con);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

test("columnsByRow puts each value at its row, in order or not, in the array of its type", async () => {
  await withDuckDb(async (con) => {
    // 5000 rows: more than two chunks of 2048.
    const sql = (order: string) =>
      `SELECT CAST(range AS INTEGER) AS row, CAST(range * 0.5 AS DOUBLE) AS half, CAST(range % 7 - 3 AS TINYINT) AS code,
         CAST(range % 3 AS FLOAT) AS f FROM range(5000) ORDER BY ${order}`;
    for (const order of ["range", "range DESC", "hash(range)"]) {
      const c = columnsByRow(await con.run(sql(order)), 5000);
      assert.ok(c.half instanceof Float64Array && c.code instanceof Int8Array && c.f instanceof Float32Array, order);
      for (const i of [0, 1, 2047, 2048, 4095, 4999]) {
        assert.equal(c.half[i], i * 0.5, `${order}: row ${i}`);
        assert.equal(c.code[i], (i % 7) - 3, `${order}: row ${i}`);
        assert.equal(c.f[i], i % 3, `${order}: row ${i}`);
      }
    }
    const noRow = await con.run(`SELECT CAST(range AS BIGINT) AS row FROM range(3)`);
    assert.throws(() => columnsByRow(noRow, 3), /the first column must be row INTEGER, not row BIGINT/);
  });
});

test("textByRow reads a text column in row order, NULL as empty, also where a value holds a newline", async () => {
  await withDuckDb(async (con) => {
    await con.run(`CREATE TABLE t (row INTEGER, s VARCHAR)`);
    await con.run(`INSERT INTO t VALUES (2, 'c'), (0, 'a-long-identifier-of-more-than-12-bytes'), (1, NULL), (3, '')`);
    assert.deepEqual(await textByRow(con, "t", "s"), ["a-long-identifier-of-more-than-12-bytes", "", "c", ""]);
    await con.run(`UPDATE t SET s = 'x' || chr(10) || 'y' WHERE row = 2`);
    assert.deepEqual(await textByRow(con, "t", "s"), ["a-long-identifier-of-more-than-12-bytes", "", "x\ny", ""]);
    await con.run(`DELETE FROM t`);
    assert.deepEqual(await textByRow(con, "t", "s"), []);
  });
});

test("readRelationColumns: a database table as the JavaScript engine's columns, in stored order, gaps closed", async () => {
  const file = path.join(tempDir("read-relation"), "t.duckdb");
  const made = await DuckDBInstance.create(file);
  const con = await made.connect();
  await con.run("CREATE SCHEMA s; CREATE TABLE s.p (subject_id BIGINT, gender VARCHAR, seen TIMESTAMP, extra INTEGER)");
  await con.run(`INSERT INTO s.p VALUES (10, 'F', '2180-01-02 03:04:05', 1), (11, NULL, NULL, 2), (12, 'M', NULL, 3),
    (13, 'F', '2180-01-01', 4), (14, 'M', NULL, 5)`);
  await con.run("DELETE FROM s.p WHERE subject_id = 12");
  con.closeSync();
  made.closeSync();
  const db = await openDuckDbMemory({ m: file });
  try {
    const specs = [
      { name: "subject_id", kind: "number" as const },
      { name: "gender", kind: "category" as const },
      { name: "seen", kind: "timestamp" as const },
    ];
    const c = await readRelationColumns(
      db.con,
      "patients",
      { database: "m", where: file, schema: "s", table: "p" },
      specs,
    );
    assert.equal(c.file, `${file} (s.p)`);
    assert.equal(c.rows, 4);
    assert.deepEqual(Array.from(c.numbers.subject_id), [10, 11, 13, 14]);
    const day = Date.UTC(2180, 0, 1) / 1000;
    assert.deepEqual(Array.from(c.numbers.seen), [day + 86400 + 3 * 3600 + 4 * 60 + 5, NaN, day, NaN]);
    // Codes in order of first appearance, NULL as a blank, as the CSV reader codes a column.
    assert.deepEqual(c.categories.gender.values, ["F", "", "M"]);
    assert.deepEqual(Array.from(c.categories.gender.codes), [0, 1, 0, 2]);
  } finally {
    db.close();
  }
});
