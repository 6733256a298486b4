/**
 * The CSV reader: quoting, line endings, blank lines, typed columns, category codes, hashes, gzip,
 * errors naming file / row / column, growing columns.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { parseCsv, readCsv, readInWorker, findCsv } from "../../src/cohort/csv";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

const parse = (text: string, specs: Parameters<typeof parseCsv>[2]) =>
  parseCsv(Buffer.from(text, "utf8"), "t.csv", specs);

test("quoted fields with commas, quotes and newlines; CRLF; BOM; blank lines", () => {
  const t = parse('\uFEFFa,b,c\r\n"x, y",1,"say ""hi"""\r\n\r\n"two\nlines",2,\n', [
    { name: "a", kind: "string" },
    { name: "b", kind: "number" },
    { name: "c", kind: "string" },
  ]);
  assert.equal(t.rows, 2);
  assert.deepEqual(t.header, ["a", "b", "c"]);
  assert.deepEqual(t.strings.a, ["x, y", "two\nlines"]);
  assert.deepEqual(Array.from(t.numbers.b), [1, 2]);
  assert.deepEqual(t.strings.c, ['say "hi"', ""]);
});

test("numbers, timestamps and labels parse from bytes; blanks are NaN", () => {
  const t = parse("n,t,l\n-12.5,2150-03-10 14:05:09,1.0\n,2150-03-10,-1.0\n1e3,,\n", [
    { name: "n", kind: "number" },
    { name: "t", kind: "timestamp" },
    { name: "l", kind: "label" },
  ]);
  assert.deepEqual(Array.from(t.numbers.n), [-12.5, NaN, 1000]);
  const day = Date.UTC(2150, 2, 10) / 1000;
  assert.deepEqual(Array.from(t.numbers.t), [day + 14 * 3600 + 5 * 60 + 9, day, NaN]);
  assert.deepEqual(Array.from(t.numbers.l), [1, -1, NaN]);
});

test("category codes in order of first appearance; equal text, equal hash", () => {
  const t = parse("v,k\nAP,x1\nPA,x2\nAP,x1\n,x3\n", [
    { name: "v", kind: "category" },
    { name: "k", kind: "hash" },
  ]);
  assert.deepEqual(t.categories.v.values, ["AP", "PA", ""]);
  assert.deepEqual(Array.from(t.categories.v.codes), [0, 1, 0, 2]);
  const h = t.hashes.k;
  assert.equal(h[0], h[2]);
  assert.notEqual(h[0], h[1]);
  assert.ok(Number.isSafeInteger(h[0]));
});

test("errors name the file, row and column, the expected and the found", () => {
  const specs = [{ name: "n", kind: "number" as const }];
  assert.throws(
    () => parse("n\n1\nabc\n", specs),
    (e: unknown) =>
      e instanceof InputError && e.message === 't.csv, row 2, column "n": expected a number, found "abc".',
  );
  assert.throws(() => parse("n,m\n1,2\n3\n", specs), /t\.csv, row 2: expected 2 fields \(as in the header\), found 1/);
  assert.throws(() => parse("m\n1\n", specs), /column "n": expected a column named "n", found the columns "m"/);
  assert.throws(() => parse("", specs), /expected a CSV header line, found an empty file/);
  assert.throws(
    () => parse("l\n0.5\n", [{ name: "l", kind: "label" }]),
    /column "l": expected 1\.0, 0\.0, -1\.0 or blank, found "0\.5"/,
  );
  assert.throws(
    () => parse("t\n2150-13-01 00:00:00\n", [{ name: "t", kind: "timestamp" }]),
    /expected a timestamp YYYY-MM-DD HH:MM:SS, found "2150-13-01 00:00:00"/,
  );
});

test("gzip is recognised by its bytes; a .gz name with plain bytes is an error; findCsv lists where it looked", async () => {
  const dir = tempDir("csv");
  fs.writeFileSync(path.join(dir, "a.csv.gz"), zlib.gzipSync("x\n1\n2\n"));
  fs.writeFileSync(path.join(dir, "b.csv.gz"), "x\n1\n");
  assert.deepEqual(
    Array.from((await readCsv(path.join(dir, "a.csv.gz"), [{ name: "x", kind: "number" }])).numbers.x),
    [1, 2],
  );
  await assert.rejects(
    readCsv(path.join(dir, "b.csv.gz"), []),
    /expected gzip data \(the name ends in \.gz\), found plain bytes/,
  );
  assert.equal(findCsv(dir, ["a"], "A"), path.join(dir, "a.csv.gz"));
  assert.throws(
    () => findCsv(dir, ["hosp/c", "core/c"], "the c table"),
    (e: unknown) => e instanceof InputError && e.message.includes(path.join(dir, "core/c.csv")),
  );
});

test("columns grow past the row estimate (long lines first, short ones after)", () => {
  const long = Array.from({ length: 100 }, (_, i) => `${i},${"x".repeat(1000)}`);
  const short = Array.from({ length: 20000 }, (_, i) => `${100 + i},y`);
  const t = parse(["n,s", ...long, ...short].join("\n"), [
    { name: "n", kind: "number" },
    { name: "s", kind: "category" },
  ]);
  assert.equal(t.rows, 20100);
  assert.deepEqual(
    Array.from(t.numbers.n),
    Array.from({ length: 20100 }, (_, i) => i),
  );
  assert.equal(t.categories.s.codes[20099], 1);
  assert.deepEqual(t.categories.s.values, ["x".repeat(1000), "y"]);
});

test("readInWorker gives what readCsv gives, and a bad file's InputError with its details", async () => {
  const dir = tempDir("csv-worker");
  const good = path.join(dir, "good.csv.gz");
  fs.writeFileSync(good, zlib.gzipSync("id,when,kind,name\n7,2150-03-10 14:05:09,AP,x\n8,,PA,y\n"));
  const bad = path.join(dir, "bad.csv");
  fs.writeFileSync(bad, "id,when\n7,yesterday\n");
  const specs = [
    { name: "id", kind: "number" },
    { name: "when", kind: "timestamp" },
    { name: "kind", kind: "category" },
    { name: "name", kind: "string" },
  ] as const;
  const [fromWorker, failed] = readInWorker([
    { file: good, specs: [...specs] },
    { file: bad, specs: [...specs.slice(0, 2)] },
  ]);
  assert.deepEqual(await fromWorker, await readCsv(good, specs));
  await assert.rejects(
    failed,
    (e: unknown) =>
      e instanceof InputError && e.details.row === 1 && e.details.column === "when" && /bad\.csv/.test(e.message),
  );
});
