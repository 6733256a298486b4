/**
 * The exploration helpers against pandas on the same table: test/golden/explore_input.csv (332 images,
 * seeded, with missing ages, sexes and views and uncertain labels) and the numbers pandas gave for it
 * (explore_fixture.json, written by test/golden/explore_reference.py).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import type { DataFrame } from "danfojs-node";
import { LabelledTable } from "../../src/cohort/dataset";
import {
  crosstab,
  describe,
  labelCooccurrence,
  labelsBy,
  missingness,
  perPatient,
  valueCounts,
} from "../../src/cohort/explore";
import { packageRoot } from "../../src/util/paths";

process.env.EHR_MSN_QUIET = "1";

const GOLDEN = path.join(packageRoot(), "test", "golden");
type Row = Record<string, unknown>;
const fixture = JSON.parse(fs.readFileSync(path.join(GOLDEN, "explore_fixture.json"), "utf8")) as {
  labels: string[];
  describe_numeric: Record<string, Record<string, number>>;
  describe_categorical: Record<string, Record<string, Row>>;
  value_counts_view: Record<string, Record<string, number>>;
  crosstab_sex_A: Row[];
  crosstab_sex_A_index: Row[];
  labels_by_sex: Row[];
  cooccurrence: Row[];
  missing: Record<string, Record<string, number>>;
  per_patient: Record<string, Row>;
};
const table = aq.fromCSV(fs.readFileSync(path.join(GOLDEN, "explore_input.csv"), "utf8"));
const data = new LabelledTable(table, fixture.labels, {
  inputs: [],
  steps: [],
  dropped: {},
  imputed: { view: 0, position: 0 },
  options: {},
  text: () => "",
});

function records(df: DataFrame): Row[] {
  const cols = df.columns;
  return (df.values as unknown[][]).map((r) => Object.fromEntries(cols.map((c, j) => [c, r[j]])));
}

/** Equal within 1e-12 relative (pandas sums in another order), or exactly for what is not a number. */
function near(actual: unknown, expected: unknown, what: string): void {
  if (typeof expected === "number" && typeof actual === "number")
    assert.ok(
      Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
      `${what}: ${actual} vs ${expected}`,
    );
  else assert.equal(actual, expected, what);
}

function nearRow(actual: Row, expected: Row, what: string): void {
  for (const [k, v] of Object.entries(expected)) near(actual[k], v, `${what} ${k}`);
}

const GROUPS = ["train", "validate", "test", "all"];

test("describe (numeric, categorical) per split equals pandas' describe", () => {
  const numeric = records(describe(data));
  assert.deepEqual(
    numeric.map((r) => r.split),
    GROUPS,
  );
  for (const r of numeric) nearRow(r, fixture.describe_numeric[r.split as string], `age ${r.split}`);
  const categorical = records(describe(data, { include: "categorical" }));
  assert.deepEqual(
    categorical.map((r) => `${r.column} ${r.split}`),
    ["sex", "view"].flatMap((c) => GROUPS.map((g) => `${c} ${g}`)),
  );
  for (const r of categorical)
    nearRow(r, fixture.describe_categorical[r.column as string][r.split as string], `${r.column} ${r.split}`);
});

test("valueCounts, crosstab and labelsBy equal pandas' value_counts, crosstab and grouped means", () => {
  const counts = records(valueCounts(data, "view"));
  for (const g of GROUPS) {
    const ours = Object.fromEntries(counts.filter((r) => r[g] !== 0).map((r) => [String(r.view ?? "nan"), r[g]]));
    assert.deepEqual(ours, fixture.value_counts_view[g], g);
  }
  const named = (r: Row) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace(/^A = /, ""), v]));
  assert.deepEqual(records(crosstab(data, "sex", "A")).map(named), fixture.crosstab_sex_A);
  const normalized = records(crosstab(data, "sex", "A", { normalize: "index" })).map(named);
  assert.equal(normalized.length, fixture.crosstab_sex_A_index.length);
  normalized.forEach((r, i) => nearRow(r, fixture.crosstab_sex_A_index[i], `normalized row ${i}`));
  const prevalence = records(labelsBy(data, "sex"));
  assert.deepEqual(
    prevalence.map((r) => r.sex),
    ["F", "M", "missing"],
  );
  prevalence.forEach((r, i) => nearRow(r, fixture.labels_by_sex[i], `prevalence row ${i}`));
});

test("labelCooccurrence, missingness and perPatient equal pandas", () => {
  assert.deepEqual(records(labelCooccurrence(data)), fixture.cooccurrence);
  const missing = records(missingness(data));
  for (const column of ["age", "sex", "view"]) {
    const r = missing.find((m) => m.column === column)!;
    for (const g of GROUPS) assert.equal(r[g], fixture.missing[g][column], `${column} ${g}`);
  }
  const patients = records(perPatient(data));
  assert.deepEqual(
    patients.map((r) => r.split),
    GROUPS,
  );
  for (const r of patients) nearRow(r, fixture.per_patient[r.split as string], `${r.split}`);
});
