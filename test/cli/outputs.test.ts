import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { studyConfig } from "../../src/pipeline";
import { RunFolder } from "../../src/pipeline/runFolder";
import { InputError } from "../../src/util/errors";
import { packageRoot } from "../../src/util/paths";
import { writeHandmade } from "../cohort/handmade";
import { tempDir } from "../support/tempDir";

function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(packageRoot(), "bin", "ehr-msn.js"), ...args], { encoding: "utf8" });
}

const hash = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

test("a run name of dots is refused: `--name ..` would write into the runs folder's parent (issue 19, item 2)", () => {
  for (const name of [".", "..", "..."])
    assert.throws(
      () => studyConfig({ name }),
      (e: unknown) => e instanceof InputError && /name: expected a run name/.test(e.message),
    );
  const dir = tempDir("dots");
  assert.throws(() => new RunFolder(path.join(dir, "runs"), ".."), InputError);
  assert.equal(fs.existsSync(path.join(dir, "runs")), false);
  const r = cli("report", "--name", "..", "--runs-dir", path.join(dir, "runs"));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--name \(name\): expected a run name of letters, digits.*not '\.' or '\.\.'.*found "\.\."/);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("cohort --out may not name one of its inputs, a folder, or the --report file (issue 19, items 3, 8)", () => {
  const { mimicCxr, mimicIv } = writeHandmade();
  const split = path.join(mimicCxr, "mimic-cxr-2.0.0-split.csv.gz");
  const before = hash(split);
  const run = (...more: string[]) => cli("cohort", "--mimic-cxr", mimicCxr, "--mimic-iv", mimicIv, "--quiet", ...more);
  const r = run("--out", split);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /--out: expected a file that is not one of the command's inputs, found .*split\.csv\.gz, a file of --mimic-cxr/,
  );
  assert.equal(hash(split), before, "the split file is untouched");
  const d = run("--out", mimicIv);
  assert.equal(d.status, 2, d.stderr);
  assert.match(d.stderr, /--out: expected a file to write, found the folder/);
  const out = path.join(tempDir("cohort-out"), "c.csv");
  const same = run("--out", out, "--report", out);
  assert.equal(same.status, 2, same.stderr);
  assert.match(same.stderr, /--report: .*the file given to --out/);
  assert.equal(fs.existsSync(out), false);
});

test("synth --out refuses a folder that holds a MIMIC-shaped dataset unless --force (issue 19, item 3)", () => {
  const { mimicCxr } = writeHandmade();
  const root = path.dirname(path.dirname(mimicCxr));
  const metadata = path.join(mimicCxr, "mimic-cxr-2.0.0-metadata.csv.gz");
  const before = hash(metadata);
  const r = cli("synth", "--out", root, "--patients", "3", "--quiet");
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /--out: expected a folder without a MIMIC-shaped dataset, found mimic-cxr-jpg and mimiciv already in/,
  );
  assert.match(r.stderr, /Give --force to replace its tables/);
  assert.equal(hash(metadata), before);
  const f = cli("synth", "--out", root, "--patients", "3", "--quiet", "--force");
  assert.equal(f.status, 0, f.stderr);
  assert.notEqual(hash(metadata), before, "replaced when asked");
});
