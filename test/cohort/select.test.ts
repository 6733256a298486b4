import { test } from "node:test";
import * as assert from "node:assert/strict";
import { build } from "../../src/cohort/build";
import { toDanfo } from "../../src/cohort/danfoFrame";
import { select } from "../../src/cohort/select";
import { generate } from "../../src/synth";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

process.env.EHR_MSN_QUIET = "1";

let made: ReturnType<typeof build> | undefined;
function cohort() {
  made ??= (async () => {
    const data = await generate({ dir: tempDir("select"), patients: 200, images: false, seed: 3, quiet: true });
    return build({ mimicCxr: data.mimicCxr, mimicIv: data.mimicIv, quiet: true, impute: "mode", ageBounds: "train" });
  })();
  return made;
}

test("select: a danfo query round trip keeps splits, features and the report, counting the rows left out", async () => {
  const c = await cohort();
  const df = toDanfo(c.table);
  const adults = df.query(df["age"].gt(60));
  const ages = c.table.array("age") as number[];
  const expected = ages.filter((a) => a > 60).length;
  assert.ok(expected > 0 && expected < ages.length, "the selection keeps some rows and leaves some out");

  const s = select(c, adults, { reason: "age 60 or under" });
  assert.equal(s.table.numRows(), expected);
  assert.ok(s instanceof c.constructor);
  assert.deepEqual(s.ageBounds, c.ageBounds);
  // The same rows, in the cohort's order, with their splits.
  const keptIds = (c.table.array("dicom_id") as string[]).filter((_, i) => ages[i] > 60);
  assert.deepEqual(s.table.array("dicom_id"), keptIds);
  // Every column carries the kept rows' values, the image paths (made on access) included.
  for (const name of c.table.columnNames())
    assert.deepEqual(
      Array.from(s.table.array(name) as ArrayLike<unknown>),
      Array.from(c.table.array(name) as ArrayLike<unknown>).filter((_, i) => ages[i] > 60),
      name,
    );
  for (const split of ["train", "validate", "test"] as const) {
    const before = (c.split(split).array("age") as number[]).filter((a) => a > 60).length;
    assert.equal(s.split(split).numRows(), before, split);
  }
  // Features are encoded with the cohort's bounds, so they equal the original rows' features.
  const all = c.features("socio-norm", "all");
  const sub = s.features("socio-norm", "all");
  const width = all.names.length;
  const keptRows = ages.flatMap((a, i) => (a > 60 ? [i] : []));
  keptRows.slice(0, 50).forEach((row, k) => {
    assert.deepEqual(
      sub.values.subarray(k * width, (k + 1) * width),
      all.values.subarray(row * width, (row + 1) * width),
    );
  });
  // The report: the cohort's steps plus the selection, its rows counted by reason.
  assert.equal(s.report.steps.length, c.report.steps.length + 1);
  assert.deepEqual(s.report.steps.at(-1), {
    step: "selection (age 60 or under)",
    table: "images",
    rowsIn: ages.length,
    rowsOut: expected,
    dropped: { "age 60 or under": ages.length - expected },
  });
  assert.equal(s.report.dropped["age 60 or under"], ages.length - expected);
  assert.match(s.report.text(), /selection \(age 60 or under\): \d+ -> \d+/);
  assert.equal(c.report.steps.length, s.report.steps.length - 1, "the cohort's own report is unchanged");
});

test("select matches by dicom_id (any order), or by the index when the column is gone", async () => {
  const c = await cohort();
  const df = toDanfo(c.table);
  const pa = df.query(df["view"].eq("PA"));
  const byIndex = select(c, pa.drop({ columns: ["dicom_id"] }));
  const byId = select(c, c.table.filter((d: { view: string }) => d.view === "PA").orderby("age"));
  assert.deepEqual(byIndex.table.array("dicom_id"), byId.table.array("dicom_id"));
  assert.equal(byId.table.numRows(), (c.table.array("view") as string[]).filter((v) => v === "PA").length);
  assert.equal(byId.report.steps.at(-1)!.dropped["not in the selection"], c.table.numRows() - byId.table.numRows());
});

test("select refuses rows the cohort does not have, twice-selected rows and a reset index", async () => {
  const c = await cohort();
  const df = toDanfo(c.table.slice(0, 3));
  df.addColumn("dicom_id", ["nope", ...df["dicom_id"].values.slice(1)], { inplace: true });
  assert.throws(
    () => select(c, df),
    (e: unknown) => e instanceof InputError && /row 1/.test(e.message) && /unknown dicom_id/.test(e.message),
  );
  const twice = c.table.slice(0, 2).concat(c.table.slice(0, 1));
  assert.throws(
    () => select(c, twice),
    (e: unknown) => e instanceof InputError && /row 3/.test(e.message) && /each image once/.test(e.message),
  );
  const shifted = toDanfo(c.table.slice(0, 2).select("age"));
  shifted.setIndex({ index: [c.table.numRows(), c.table.numRows() + 1], inplace: true });
  assert.throws(
    () => select(c, shifted),
    (e: unknown) => e instanceof InputError && /index/.test(e.message),
  );
});
