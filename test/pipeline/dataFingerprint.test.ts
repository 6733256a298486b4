import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Study } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";
import { writeHandmade } from "../cohort/handmade";
import { tempDir } from "../support/tempDir";

test("a run records the fingerprint of its data; changed tables stop it, named (issue 19, item 5)", async () => {
  const { mimicCxr, mimicIv } = writeHandmade();
  const runsDir = tempDir("fingerprint");
  const config = { name: "f", runsDir, data: { mimicCxr, mimicIv }, cohort: { impute: "mode" } };
  const first = Study.open(config);
  try {
    await first.cohort();
  } finally {
    await first.close();
  }
  const stored = JSON.parse(fs.readFileSync(path.join(runsDir, "f", "data-fingerprint.json"), "utf8"));
  assert.deepEqual(Object.keys(stored).sort(), ["admissions", "chexpert", "icustays", "metadata", "patients", "split"]);
  assert.match(stored.admissions.sha256, /^[0-9a-f]{64}$/);

  // The same data again: no complaint.
  const same = Study.open(config);
  await same.cohort();
  await same.close();

  // Regenerated admissions (one row fewer): the stored cohort, cache and encoders no longer match.
  const admissions = path.join(mimicIv, "hosp", "admissions.csv.gz");
  const lines = zlib.gunzipSync(fs.readFileSync(admissions)).toString("utf8").trimEnd().split("\n");
  fs.writeFileSync(admissions, zlib.gzipSync(lines.slice(0, -1).join("\n") + "\n"));
  const changed = Study.open(config);
  try {
    await assert.rejects(
      changed.cohort(),
      (e: unknown) =>
        e instanceof InputError &&
        /data-fingerprint\.json: expected the data this run folder's cohort, image cache, encoders and probes were made from, found changed tables since then: admissions\. Give the study another --name/.test(
          e.message,
        ),
    );
  } finally {
    await changed.close();
  }
});
