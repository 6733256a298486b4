/**
 * Patient-level splits: the paper's Table 2 proportions of images, counted by hand; patients never
 * in two splits; the default for MIMIC data and for a synthetic dataset.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { build } from "../../src/cohort";
import { defaultSplit, paperSplit, patientSplit, PAPER_SPLIT_IMAGES } from "../../src/cohort/patientSplit";
import { resolveOptions } from "../../src/cohort/buildOptions";
import { SPLIT_NAMES } from "../../src/cohort/types";
import { Rng } from "../../src/util/random";
import { writeHandmade } from "./handmade";
import { tempDir } from "../support/tempDir";

/** Split names per row, after `patientSplit` on rows 0..n-1 with these subjects. */
function split(subjects: number[], s: Parameters<typeof patientSplit>[3], seed = 24): string[] {
  const out = new Int8Array(subjects.length).fill(-1);
  patientSplit(Int32Array.from(subjects.keys()), Float64Array.from(subjects), out, s, seed);
  return Array.from(out, (c) => SPLIT_NAMES[c]);
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

test("the paper's split has Table 2's fractions of images: 1,000 one-image patients give 97 test, 41 validate", () => {
  const total = PAPER_SPLIT_IMAGES.train + PAPER_SPLIT_IMAGES.validate + PAPER_SPLIT_IMAGES.test;
  assert.equal(total, 377095);
  // 36,625 / 377,095 = 0.09712 and 15,282 / 377,095 = 0.04053 of 1,000.
  const names = split(
    Array.from({ length: 1000 }, (_, i) => 10000000 + i),
    paperSplit(),
  );
  assert.deepEqual([count(names, "test"), count(names, "validate"), count(names, "train")], [97, 41, 862]);
});

test("by images: each split overshoots its share by less than one patient's images; no patient in two splits", () => {
  const rng = new Rng(5);
  const subjects: number[] = [];
  for (let p = 0; p < 400; p++) for (let k = 1 + rng.int(9); k > 0; k--) subjects.push(20000000 + p);
  const names = split(subjects, paperSplit(3));
  const n = subjects.length;
  const targets = { test: Math.round((36625 / 377095) * n), validate: Math.round((15282 / 377095) * n) };
  for (const s of ["test", "validate"] as const) {
    assert.ok(count(names, s) >= targets[s], `${s}: ${count(names, s)} images for ${targets[s]}`);
    assert.ok(count(names, s) < targets[s] + 9, `${s}: ${count(names, s)} images for ${targets[s]}`);
  }
  const of = new Map<number, string>();
  subjects.forEach((id, i) => {
    assert.equal(of.get(id) ?? names[i], names[i], `patient ${id} in two splits`);
    of.set(id, names[i]);
  });
  assert.deepEqual(split(subjects, paperSplit(3)), names, "the same seed, the same split");
  assert.notDeepEqual(split(subjects, paperSplit(4)), names, "another seed, another split");
});

test("by patients (the default of { validate, test }): round(f·patients) patients per split, whatever their images", () => {
  const subjects = [1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const names = split(subjects, { validate: 0.2, test: 0.3 });
  const patientsIn = (s: string) => new Set(subjects.filter((_, i) => names[i] === s)).size;
  assert.deepEqual([patientsIn("test"), patientsIn("validate"), patientsIn("train")], [3, 2, 5]);
});

test("default: the paper's split for MIMIC data, the split file for a synthetic dataset (its synth.json)", async () => {
  const real = writeHandmade();
  assert.equal(defaultSplit(real.mimicCxr), "paper");
  const dirs = { mimicCxr: real.mimicCxr, mimicIv: real.mimicIv };
  const c = await build({ ...dirs, quiet: true, impute: "mode" });
  assert.ok(c.report.steps.some((s) => s.step === "split (random, by patient)"));
  assert.ok(!c.report.steps.some((s) => s.step === "split"));
  assert.deepEqual(resolveOptions({ ...dirs }).split, { ...paperSplit() });
  const synthetic = tempDir("synth-marker");
  const cxr = path.join(synthetic, "mimic-cxr-jpg", "2.0.0");
  fs.mkdirSync(cxr, { recursive: true });
  fs.writeFileSync(path.join(synthetic, "synth.json"), "{}");
  assert.equal(defaultSplit(cxr), "official");
  assert.equal(resolveOptions({ mimicCxr: cxr, mimicIv: synthetic }).split, "official");
  assert.throws(
    () => resolveOptions({ ...dirs, split: { validate: 0.1, test: 0.1, by: "studies" as never } }),
    /split\.by/,
  );
});
