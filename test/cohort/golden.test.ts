/**
 * cohort.build against the pandas reference (test/golden/cohort_reference.py) on a synthetic cohort
 * of 2,883 images: the same rows, in the same order, with the same values, and the same rows left out;
 * from every source and by both engines (the JavaScript one on the folders, the SQL one on the folders,
 * on a DuckDB file holding every table, and on one holding MIMIC-IV only), with the same report.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import { build } from "../../src/cohort";
import type { CohortOptions, Cohort, StayMatch, UncertainPolicy, ImputePolicy } from "../../src/cohort";
import { CHEXPERT_LABELS } from "../../src/util/labels";
import { packageRoot } from "../../src/util/paths";
import { writeMimicCodeDuckDb } from "../../src/mimic/mimicCodeDatabase";
import { tempDir } from "../support/tempDir";

const GOLDEN = path.join(packageRoot(), "test", "golden");
const INPUT = path.join(GOLDEN, "cohort_input");
const VARIANTS = ["cohort_zeros_mode_date", "cohort_ignore_drop_datetime", "cohort_ones_mode_last"];
const MIMIC_CXR = path.join(INPUT, "mimic-cxr-jpg", "2.0.0");
const MIMIC_IV = path.join(INPUT, "mimiciv", "2.2");

/** The sources and engines every fixture is built from (the first is the reference for the report). */
const SOURCES: Record<string, Partial<CohortOptions>> = {};

before(async () => {
  const dir = tempDir("golden-sources");
  const all = path.join(dir, "all.duckdb");
  const ivOnly = path.join(dir, "mimic4.duckdb");
  await writeMimicCodeDuckDb(MIMIC_IV, all, MIMIC_CXR);
  await writeMimicCodeDuckDb(MIMIC_IV, ivOnly);
  SOURCES["folders, JavaScript engine"] = { mimicIv: MIMIC_IV };
  SOURCES["folders, SQL engine"] = { mimicIv: MIMIC_IV, engine: "duckdb" };
  SOURCES["DuckDB file with every table"] = { source: `duckdb:${all}` };
  SOURCES["DuckDB file with MIMIC-IV, MIMIC-CXR files"] = { source: `duckdb:${ivOnly}` };
});

for (const name of VARIANTS) {
  test(`cohort.build matches pandas row for row: ${name}`, async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(GOLDEN, `${name}.json`), "utf8")) as {
      options: { uncertain: UncertainPolicy; impute: ImputePolicy; stayMatch: StayMatch };
      rows: number;
      dropped: Record<string, number>;
    };
    // arquero's own CSV reader, not ours, reads the fixture.
    const expected = await aq.loadCSV(path.join(GOLDEN, `${name}.csv.gz`), { autoType: false });
    let first: Cohort | undefined;
    for (const [source, options] of Object.entries(SOURCES)) {
      // The reference reads the split file (the fixture has no synth.json, so it is not the default).
      const c = await build({ mimicCxr: MIMIC_CXR, split: "official", quiet: true, ...options, ...meta.options });
      checkCohort(c, expected, meta);
      first ??= c;
      assert.deepEqual(c.report.steps, first.report.steps, source);
      assert.deepEqual(c.report.imputed, first.report.imputed, source);
      assert.equal(c.table.toCSV(), first.table.toCSV(), source);
    }
  });
}

/** The cohort has the fixture's rows, values and rows left out. */
function checkCohort(
  c: Cohort,
  expected: aq.ColumnTable,
  meta: { options: { uncertain: UncertainPolicy }; rows: number; dropped: Record<string, number> },
): void {
  assert.equal(c.table.numRows(), meta.rows);
  assert.equal(expected.numRows(), meta.rows);
  assert.deepEqual(c.report.dropped, meta.dropped);
  const strings = ["dicom_id", "split", "sex", "view", "position"];
  const numbers = [...CHEXPERT_LABELS, "age", "icu", "mortality"];
  for (const col of strings) assert.deepEqual(Array.from(c.table.array(col)), Array.from(expected.array(col)), col);
  for (const col of numbers)
    assert.deepEqual(Array.from(c.table.array(col) as ArrayLike<number>), Array.from(expected.array(col), Number), col);
  const hadm = Array.from(expected.array("hadm_id"), (v) => (v === "" || v === null ? null : Number(v)));
  assert.deepEqual(Array.from(c.table.array("hadm_id")), hadm, "hadm_id");
  // The fixture exercises what it should: uncertain labels, imputed or dropped rows, deaths, ICU.
  const flat = numbers.slice(0, 14).flatMap((l) => Array.from(c.table.array(l) as ArrayLike<number>));
  if (meta.options.uncertain === "ignore") assert.ok(flat.includes(-1));
  assert.ok((c.table.array("mortality") as Uint8Array).some((v) => v === 1));
  assert.ok((c.table.array("icu") as Uint8Array).some((v) => v === 1));
}
