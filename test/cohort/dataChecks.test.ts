/**
 * cohort.build's checks of the data as a whole (issue 19 items 4 and 11): header-only tables, an
 * empty cohort, impossible ages, patients in two splits.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { build } from "../../src/cohort";
import type { CohortOptions } from "../../src/cohort";
import { InputError } from "../../src/util/errors";
import { METADATA, PATIENTS, SUBJECT, writeHandmade, type HandmadeEdits } from "./handmade";

const opts = (edits: HandmadeEdits): CohortOptions => ({ ...writeHandmade(edits), quiet: true, impute: "mode" });

/** Runs `f` with console.warn captured; returns its result and the lines warned. */
async function warned<T>(f: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { value: await f(), lines };
  } finally {
    console.warn = warn;
  }
}

const inputError = (pattern: RegExp) => (e: unknown) => e instanceof InputError && pattern.test(e.message);

test("a header-only metadata, CheXpert, patients or admissions file is an error naming it, not an empty cohort", async () => {
  await assert.rejects(
    build(opts({ metadata: [] })),
    inputError(/metadata\.csv\.gz: expected at least one data row, found only a header\. Without its rows no image/),
  );
  await assert.rejects(
    build(opts({ chexpert: [] })),
    inputError(
      /chexpert\.csv\.gz: expected at least one data row, found only a header\. Without its rows no image would have labels/,
    ),
  );
  await assert.rejects(
    build(opts({ patients: [] })),
    inputError(/patients\.csv\.gz: expected at least one data row, found only a header/),
  );
  await assert.rejects(
    build(opts({ admissions: [] })),
    inputError(
      /admissions\.csv\.gz: expected at least one data row, found only a header\. Without its rows every image's mortality would be 0/,
    ),
  );
});

test("an empty cohort is an error that says why every image was left out", async () => {
  await assert.rejects(
    build(opts({ split: [["d99", 1, 1, "train"]] })),
    inputError(
      /metadata\.csv\.gz: expected a cohort of at least one image, found none left \(image not in the split file: 11; .*missing gender: 1/,
    ),
  );
});

test("ages outside [0, 120] are left out and counted with their reason, and warned of", async () => {
  const patients = PATIENTS.map((p) =>
    p[0] === SUBJECT.b
      ? [p[0], p[1], 300, p[3], p[4], p[5]]
      : p[0] === SUBJECT.young
        ? [p[0], p[1], -6, ...p.slice(3)]
        : p,
  );
  const { value: c, lines } = await warned(() => build(opts({ patients })));
  const reason = "age outside [0, 120] (anchor_age or anchor_year wrong)";
  // b: d07, d08, d09 at 300; young: d14 at -5 (d13 has no labels and is gone before).
  assert.equal(c.report.dropped[reason], 4);
  assert.deepEqual(c.table.array("dicom_id"), ["d01", "d02", "d03", "d04", "d05", "d06"]);
  const step = c.report.steps.find((s) => s.step === "plausible ages")!;
  assert.deepEqual([step.rowsIn, step.rowsOut], [10, 6]);
  assert.match(c.report.text(), /left out, age outside \[0, 120\].*: 4/);
  assert.deepEqual(lines, [`ehr-msn: warning: 4 image(s) left out: ${reason}.`]);
});

test("a patient in both train and test is a loud warning with the count and no id", async () => {
  const split = METADATA.filter((m) => m[0] !== "d15").map((m) => [
    m[0],
    m[2],
    m[1],
    m[0] === "d06" || m[0] === "d08"
      ? "test"
      : m[1] === SUBJECT.b
        ? "validate"
        : m[1] === SUBJECT.young
          ? "validate"
          : "train",
  ]);
  const { value: c, lines } = await warned(() => build(opts({ split })));
  // Subject a (train, and d06 in test) and subject b (validate, and d08 in test).
  assert.deepEqual(lines, [
    "ehr-msn: warning: 1 patient(s) have images in both test and train: results on the later split are optimistic " +
      "(the model saw those patients). Check the split file, or split by patient (split: random).",
    "ehr-msn: warning: 1 patient(s) have images in both test and validate: results on the later split are optimistic " +
      "(the model saw those patients). Check the split file, or split by patient (split: random).",
  ]);
  assert.equal(c.report.warnings?.length, 2);
  assert.match(c.report.text(), /warning: 1 patient\(s\) have images in both test and train/);
  for (const id of Object.values(SUBJECT)) assert.ok(!lines.join("\n").includes(String(id)));
  const clean = await warned(() => build(opts({})));
  assert.deepEqual(clean.lines, []);
});
