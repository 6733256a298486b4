/** `ehr-msn synth` then `ehr-msn cohort`, as a user runs them; exit codes and messages. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { packageRoot } from "../../src/util/paths";
import { CHEXPERT_LABELS } from "../../src/util/labels";
import { tempDir } from "../support/tempDir";

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(packageRoot(), "bin", "ehr-msn.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, EHR_MSN_QUIET: "1" },
  });

test("synth, then cohort with feature columns and a report", () => {
  const dir = tempDir("cli");
  const s = cli("synth", "--out", path.join(dir, "synth"), "--patients", "30", "--seed", "4");
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /wrote \d+ images, \d+ studies, 30 imaged patients/);
  const cxr = path.join(dir, "synth", "mimic-cxr-jpg", "2.0.0");
  const iv = path.join(dir, "synth", "mimiciv", "2.2");
  assert.ok(s.stdout.includes(`ehr-msn cohort --mimic-cxr ${cxr} --mimic-iv ${iv}`));
  const out = path.join(dir, "cohort.csv");
  const c = cli(
    "cohort",
    "--mimic-cxr",
    cxr,
    "--mimic-iv",
    iv,
    "--out",
    out,
    "--impute",
    "mode",
    "--features",
    "socio-norm",
    "--report",
    path.join(dir, "report.json"),
  );
  assert.equal(c.status, 0, c.stderr);
  const lines = fs.readFileSync(out, "utf8").trimEnd().split("\n");
  assert.deepEqual(lines[0].split(","), [
    "dicom_id",
    "split",
    ...CHEXPERT_LABELS,
    "age",
    "sex",
    "view",
    "position",
    "icu",
    "mortality",
    "male",
    "female",
    "age_norm",
  ]);
  const report = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"));
  assert.equal(lines.length - 1, report.steps.find((x: { step: string }) => x.step === "impute (mode)").rowsOut);
  const row = lines[1].split(",");
  const age = Number(row[16]);
  assert.equal(Number(row[row.length - 1]), Number(Math.fround((age - 16) / 84).toPrecision(7)));
  assert.match(c.stdout, /images, studies and patients per split/);
  // No id in what is printed.
  assert.ok(!c.stdout.includes(row[0]));
});

test("bad input exits with 2 and one line naming the problem; --help exits 0", () => {
  const r = cli("cohort", "--mimic-cxr", "/nonexistent", "--mimic-iv", "/nonexistent", "--out", "x.csv");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ehr-msn: .*mimicCxr: expected an existing folder, found nothing there\.\n$/);
  const noIv = cli("cohort", "--mimic-cxr", os.tmpdir(), "--out", "x.csv");
  assert.equal(noIv.status, 2);
  assert.equal(
    noIv.stderr,
    "ehr-msn: --mimic-iv: expected the MIMIC-IV folder, or --source with a database, found the option missing.\n",
  );
  const s = cli("synth", "--out", path.join(os.tmpdir(), "never"), "--patients", "many");
  assert.equal(s.status, 2);
  assert.match(s.stderr, /--patients: expected an integer, found "many"/);
  const h = cli("cohort", "--help");
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--stay-match <rule>/);
  assert.equal(cli("synth", "--help").status, 0);
});
