import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { DataFrame } from "danfojs-node";
import { build } from "../../src/cohort/build";
import {
  crosstab,
  describe,
  labelCooccurrence,
  labelsBy,
  missingness,
  perPatient,
  valueCounts,
} from "../../src/cohort/explore";
import { LabelledTable } from "../../src/cohort/dataset";
import { generate } from "../../src/synth";
import { InputError } from "../../src/util/errors";
import { CHEXPERT_LABELS } from "../../src/util/labels";
import { tempDir } from "../support/tempDir";

process.env.EHR_MSN_QUIET = "1";

/**
 * Ten images worked out by hand: train rows 0-5, test rows 6-9; one age and two sexes missing; labels
 * A and B with an uncertain (-1) each; five patients, one (subject 1) in both splits.
 */
const HAND = aq.table({
  split: ["train", "train", "train", "train", "train", "train", "test", "test", "test", "test"],
  subject_id: [1, 1, 2, 2, 2, 3, 4, 4, 1, 5],
  study_id: [11, 11, 21, 22, 22, 31, 41, 42, 12, 51],
  age: [20, 30, 40, 50, null, 60, 35, 45, 55, 65],
  sex: ["M", "F", "M", "", "M", "F", "F", "F", "M", null],
  A: [1, 0, 1, -1, 0, 1, 1, 0, 0, 1],
  B: [1, 1, 0, 0, -1, 1, 0, 0, 1, 1],
});
const hand = new LabelledTable(HAND, ["A", "B"], {
  inputs: [],
  steps: [],
  dropped: {},
  imputed: { view: 0, position: 0 },
  options: {},
  text: () => "",
});

/** A danfo DataFrame as plain row objects (column name -> value). */
function records(df: DataFrame): Record<string, unknown>[] {
  const cols = df.columns;
  return (df.values as unknown[][]).map((r) => Object.fromEntries(cols.map((c, j) => [c, r[j]])));
}

function close(actual: unknown, expected: number, what: string, tol = 1e-9): void {
  assert.ok(typeof actual === "number" && Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

test("describe: pandas' numeric statistics per split and over all rows, worked by hand", () => {
  const rows = records(describe(hand));
  assert.deepEqual(
    rows.map((r) => [r.split, r.column]),
    [
      ["train", "age"],
      ["test", "age"],
      ["all", "age"],
    ],
  );
  const [train, testSplit, all] = rows;
  assert.deepEqual(
    { ...train, std: undefined },
    {
      split: "train",
      column: "age",
      count: 5,
      missing: 1,
      mean: 40,
      std: undefined,
      min: 20,
      "25%": 30,
      "50%": 40,
      "75%": 50,
      max: 60,
    },
  );
  close(train.std, Math.sqrt(250), "train std");
  assert.deepEqual([testSplit["25%"], testSplit["50%"], testSplit["75%"]], [42.5, 50, 57.5]);
  close(testSplit.std, Math.sqrt(500 / 3), "test std");
  assert.equal(all.count, 9);
  assert.equal(all.missing, 1);
  close(all.mean, 400 / 9, "all mean");
  close(all.std, 14.672347384715842, "all std (Python statistics.stdev)");
  assert.deepEqual([all["25%"], all["50%"], all["75%"]], [35, 45, 55]);
});

test("describe categorical: count, missing, unique, top (ties to the first in order) and freq", () => {
  const rows = records(describe(hand, { include: "categorical" }));
  assert.deepEqual(rows, [
    { split: "train", column: "sex", count: 5, missing: 1, unique: 2, top: "M", freq: 3 },
    { split: "test", column: "sex", count: 3, missing: 1, unique: 2, top: "F", freq: 2 },
    { split: "all", column: "sex", count: 8, missing: 2, unique: 2, top: "F", freq: 4 },
  ]);
  assert.throws(
    () => describe(hand, { columns: ["sex"] }),
    (e: unknown) => e instanceof InputError && /column "sex"/.test(e.message) && /numbers/.test(e.message),
  );
  assert.throws(
    () => describe(hand, { columns: ["weight"] }),
    (e: unknown) => e instanceof InputError && /weight/.test(e.message),
  );
});

test("valueCounts: most frequent first, missing values counted as one row, per split and all", () => {
  assert.deepEqual(records(valueCounts(hand, "sex")), [
    { sex: "F", train: 2, test: 2, all: 4 },
    { sex: "M", train: 3, test: 1, all: 4 },
    { sex: null, train: 1, test: 1, all: 2 },
  ]);
  assert.deepEqual(records(valueCounts(hand, "sex", { by: null, normalize: true })), [
    { sex: "F", proportion: 0.4 },
    { sex: "M", proportion: 0.4 },
    { sex: null, proportion: 0.2 },
  ]);
});

test("crosstab: a label by an EHR field with margins, uncertain labels as their own column", () => {
  assert.deepEqual(records(crosstab(hand, "sex", "A")), [
    { sex: "F", "A = -1": 0, "A = 0": 2, "A = 1": 2, all: 4 },
    { sex: "M", "A = -1": 0, "A = 0": 2, "A = 1": 2, all: 4 },
    { sex: "missing", "A = -1": 1, "A = 0": 0, "A = 1": 1, all: 2 },
    { sex: "all", "A = -1": 1, "A = 0": 4, "A = 1": 5, all: 10 },
  ]);
  const byRow = records(crosstab(hand, "sex", "A", { normalize: "index" }));
  assert.deepEqual(
    byRow.map((r) => r["A = 1"]),
    [0.5, 0.5, 0.5, 0.5],
  );
});

test("labelsBy: prevalence among known labels per value of an EHR field", () => {
  const rows = records(labelsBy(hand, "sex"));
  assert.deepEqual(
    rows.map((r) => [r.sex, r.images, r.A]),
    [
      ["F", 4, 0.5],
      ["M", 4, 0.5],
      ["missing", 2, 1],
    ],
  );
  close(rows[1].B, 2 / 3, "M, B (one uncertain left out)");
  assert.deepEqual([rows[0].B, rows[2].B], [0.5, 0.5]);
});

test("labelCooccurrence: positives of each pair of labels, the diagonal each label's positives", () => {
  assert.deepEqual(records(labelCooccurrence(hand)), [
    { label: "A", A: 5, B: 3 },
    { label: "B", A: 3, B: 5 },
  ]);
  assert.deepEqual(
    records(labelCooccurrence(hand, { normalize: true })).map((r) => r.B),
    [0.3, 0.5],
  );
});

test("missingness and perPatient, worked by hand", () => {
  const m = records(missingness(hand));
  assert.deepEqual(
    m.filter((r) => r.column === "age" || r.column === "sex"),
    [
      { column: "age", train: 1, test: 0, all: 1, fraction: 0.1, imputed: 0 },
      { column: "sex", train: 1, test: 1, all: 2, fraction: 0.2, imputed: 0 },
    ],
  );
  const p = records(perPatient(hand));
  assert.deepEqual(
    p.map((r) => [r.split, r.patients, r.images, r.studies, r.images_median, r.images_max, r.studies_median]),
    [
      ["train", 3, 6, 4, 2, 3, 1],
      ["test", 3, 4, 4, 1, 2, 1],
      ["all", 5, 10, 8, 2, 3, 2],
    ],
  );
  close(p[2].studies_mean, 1.6, "studies per patient, all");
  close(p[0].studies_mean, 4 / 3, "studies per patient, train");
});

// ---- the same numbers as arquero's own rollups, on a synthetic MIMIC cohort ----

let synthetic: Promise<{ c: Awaited<ReturnType<typeof build>>; t: ColumnTable }> | undefined;
function syntheticCohort() {
  synthetic ??= (async () => {
    const dir = tempDir("explore");
    const data = await generate({ dir, patients: 300, images: false, seed: 7, quiet: true });
    const c = await build({ mimicCxr: data.mimicCxr, mimicIv: data.mimicIv, quiet: true, impute: "mode" });
    return { c, t: c.table };
  })();
  return synthetic;
}

/** arquero objects keyed by their `key` column's value. */
function keyed(objects: object[], key: string): Map<unknown, Record<string, unknown>> {
  return new Map((objects as Record<string, unknown>[]).map((o) => [o[key], o]));
}

test("describe and perPatient agree with arquero's grouped rollups on a synthetic cohort", async () => {
  const { c, t } = await syntheticCohort();
  const op = aq.op;
  const ref = keyed(
    t
      .groupby("split")
      .rollup({
        count: op.valid("age"),
        mean: op.mean("age"),
        std: op.stdev("age"),
        min: op.min("age"),
        q25: op.quantile("age", 0.25),
        q50: op.median("age"),
        q75: op.quantile("age", 0.75),
        max: op.max("age"),
      })
      .objects(),
    "split",
  );
  const ours = records(describe(c)).filter((r) => r.column === "age" && r.split !== "all");
  assert.equal(ours.length, ref.size);
  for (const r of ours) {
    const a = ref.get(r.split)!;
    assert.equal(r.count, a.count);
    for (const [k, ak] of [
      ["mean", "mean"],
      ["std", "std"],
      ["min", "min"],
      ["25%", "q25"],
      ["50%", "q50"],
      ["75%", "q75"],
      ["max", "max"],
    ])
      close(r[k], a[ak] as number, `${r.split} ${k}`, 1e-9);
  }
  const per = keyed(
    t
      .groupby("split", "subject_id")
      .rollup({ images: op.count(), studies: op.distinct("study_id") })
      .groupby("split")
      .rollup({
        patients: op.count(),
        images: op.sum("images"),
        studies: op.sum("studies"),
        images_median: op.median("images"),
        studies_max: op.max("studies"),
      })
      .objects(),
    "split",
  );
  for (const r of records(perPatient(c)).filter((x) => x.split !== "all")) {
    const a = per.get(r.split)!;
    assert.deepEqual(
      [r.patients, r.images, r.studies, r.images_median, r.studies_max],
      [a.patients, a.images, a.studies, a.images_median, a.studies_max],
    );
  }
});

test("valueCounts, crosstab, labelsBy, co-occurrence and missingness agree with arquero", async () => {
  const { c, t } = await syntheticCohort();
  const op = aq.op;
  const counts = keyed(t.groupby("view").count().objects(), "view");
  for (const r of records(valueCounts(c, "view", { by: null }))) assert.equal(r.count, counts.get(r.view)!.count);

  const cross = t.groupby("position", "Edema").count().objects() as Record<string, number | string>[];
  const table = records(crosstab(c, "position", "Edema"));
  for (const x of cross) {
    const row = table.find((r) => r.position === x.position)!;
    assert.equal(row[`Edema = ${x.Edema}`], x.count, `${x.position} / Edema ${x.Edema}`);
  }

  const images = keyed(t.groupby("sex").count().objects(), "sex");
  const known = keyed(
    t
      .filter((d: Record<string, number>) => d.Cardiomegaly !== -1)
      .groupby("sex")
      .count()
      .objects(),
    "sex",
  );
  const positives = keyed(
    t
      .filter((d: Record<string, number>) => d.Cardiomegaly === 1)
      .groupby("sex")
      .count()
      .objects(),
    "sex",
  );
  for (const r of records(labelsBy(c, "sex"))) {
    assert.equal(r.images, images.get(r.sex)!.count);
    close(r.Cardiomegaly, (positives.get(r.sex)!.count as number) / (known.get(r.sex)!.count as number), `${r.sex}`);
  }

  const both = (a: string, b: string) =>
    t.filter(aq.escape((d: Record<string, number>) => d[a] === 1 && d[b] === 1)).numRows();
  const co = records(labelCooccurrence(c));
  for (const [a, b] of [
    ["Edema", "Pleural Effusion"],
    ["Atelectasis", "Atelectasis"],
    ["No Finding", "Support Devices"],
  ]) {
    assert.equal(co[CHEXPERT_LABELS.indexOf(a as never)][b], both(a, b), `${a} & ${b}`);
  }

  const invalid = t.rollup(Object.fromEntries(t.columnNames().map((n) => [n, op.invalid(n)]))).objects()[0] as Record<
    string,
    number
  >;
  for (const r of records(missingness(c))) assert.equal(r.all, invalid[r.column as string], `${r.column}`);
});

test("helpers reject what they cannot explore, naming it", () => {
  assert.throws(
    () => valueCounts({} as never, "sex"),
    (e: unknown) => e instanceof InputError && /cohort/.test(e.message),
  );
  assert.throws(
    () => labelsBy(HAND, "sex"),
    (e: unknown) => e instanceof InputError && /labels/.test(e.message),
  );
  assert.throws(
    () => crosstab(hand, "sex", "A", { normalize: "rows" as never }),
    (e: unknown) => e instanceof InputError && /normalize/.test(e.message),
  );
});
