/**
 * Paths that are the wrong kind of thing (issue 19 items 8, 9): `--config` a folder, `--mimic-cxr` a
 * file, a `hosp/` this user may not read. Each is one line naming the path and what it is, exit 2.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { packageRoot } from "../../src/util/paths";
import { writeHandmade } from "../cohort/handmade";
import { tempDir } from "../support/tempDir";

function cli(args: string[], options: SpawnSyncOptions = {}) {
  const bin = path.join(packageRoot(), "bin", "ehr-msn.js");
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", ...options }) as {
    status: number;
    stderr: string;
  };
}

test("--config naming a folder is refused as such, by cohort and by the study commands", () => {
  const dir = tempDir("config-dir");
  const { mimicCxr, mimicIv } = writeHandmade();
  const out = path.join(dir, "c.csv");
  for (const args of [
    ["cohort", "--config", dir, "--mimic-cxr", mimicCxr, "--mimic-iv", mimicIv, "--out", out, "--quiet"],
    ["pretrain", "--config", dir, "--runs-dir", path.join(dir, "runs")],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      r.stderr,
      `ehr-msn: ${dir}: expected a config file, found a folder. Give --config a .yaml, .yml or .json file.\n`,
    );
  }
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("--mimic-cxr naming a file (a table, not its folder) says it is a file", () => {
  const { mimicCxr, mimicIv } = writeHandmade();
  const table = path.join(mimicCxr, "mimic-cxr-2.0.0-metadata.csv.gz");
  const dir = tempDir("mimic-file");
  const cohort = cli([
    "cohort",
    "--mimic-cxr",
    table,
    "--mimic-iv",
    mimicIv,
    "--out",
    path.join(dir, "c.csv"),
    "--quiet",
  ]);
  assert.equal(cohort.status, 2, cohort.stderr);
  assert.equal(
    cohort.stderr,
    `ehr-msn: ${table}, mimicCxr: expected an existing folder, found a file, not a folder. ` +
      "Give the folder that holds the MIMIC tables, not one of its files.\n",
  );
  const study = cli(["pretrain", "--mimic-cxr", table, "--mimic-iv", mimicIv, "--runs-dir", path.join(dir, "runs")]);
  assert.equal(study.status, 2, study.stderr);
  assert.match(study.stderr, /: expected an existing folder, found a file, not a folder\. Give the folder that holds/);
  assert.deepEqual(fs.readdirSync(dir), []);
});

const asRoot = process.getuid?.() === 0;

/** The hand-made MIMIC folders with every folder and file readable by all users, and the folder that holds them. */
function handmadeReadableByAll(): { mimicCxr: string; mimicIv: string; root: string } {
  const { mimicCxr, mimicIv } = writeHandmade();
  const root = path.dirname(path.dirname(mimicCxr));
  fs.chmodSync(root, 0o755);
  for (const f of fs.readdirSync(root, { recursive: true, encoding: "utf8" }))
    fs.chmodSync(path.join(root, f), fs.statSync(path.join(root, f)).isDirectory() ? 0o755 : 0o644);
  return { mimicCxr, mimicIv, root };
}
test(
  "an unreadable hosp/ is named as unreadable, not as missing tables (run as the user nobody)",
  { skip: asRoot ? false : "needs root to run the command as another user (nobody) whom hosp/ refuses" },
  () => {
    const { mimicCxr, mimicIv, root } = handmadeReadableByAll();
    // Everything readable by nobody but hosp/ (root's, mode 0700); the output folder writable by all.
    const hosp = path.join(mimicIv, "hosp");
    fs.chmodSync(hosp, 0o700);
    const out = path.join(root, "out");
    fs.mkdirSync(out, { mode: 0o777 });
    fs.chmodSync(out, 0o777);
    const r = cli(
      ["cohort", "--mimic-cxr", mimicCxr, "--mimic-iv", mimicIv, "--out", path.join(out, "c.csv"), "--quiet"],
      {
        uid: 65534,
        gid: 65534,
      },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      r.stderr,
      `ehr-msn: ${hosp}: expected an existing folder, found a folder this user may not read (EACCES). ` +
        "Check its permissions (ls -ld), or run as its owner.\n",
    );
    assert.deepEqual(fs.readdirSync(out), []);
  },
);

test("--runs-dir naming a file is refused before any work, naming the flag", () => {
  const dir = tempDir("runs-file");
  const file = path.join(dir, "runs");
  fs.writeFileSync(file, "");
  const r = cli(["pretrain", "--synth", "12", "--runs-dir", file]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stderr,
    `ehr-msn: --runs-dir: expected a folder (or a path where one can be made), found the file ${file}.\n`,
  );
  const below = cli(["pretrain", "--synth", "12", "--runs-dir", path.join(file, "more")]);
  assert.equal(below.status, 2, below.stderr);
  assert.match(below.stderr, /--runs-dir: expected a folder .*, found .*more, below the file .*runs\./);
  assert.deepEqual(fs.readdirSync(dir), ["runs"]);
});

test(
  "--runs-dir and --out where this user may not write are refused before any work (run as the user nobody)",
  { skip: asRoot ? false : "needs root to run the command as another user (nobody) whom the folder refuses" },
  () => {
    const { mimicCxr, mimicIv, root } = handmadeReadableByAll();
    // root's folder, readable by all, writable by root only.
    const locked = path.join(root, "locked");
    fs.mkdirSync(locked, { mode: 0o755 });
    const asNobody = { uid: 65534, gid: 65534 };
    const study = cli(["pretrain", "--synth", "12", "--runs-dir", path.join(locked, "runs")], asNobody);
    assert.equal(study.status, 2, study.stderr);
    assert.equal(
      study.stderr,
      `ehr-msn: --runs-dir: expected a place this user can write to, found ${locked}: EACCES.\n`,
    );
    const out = path.join(locked, "c.csv");
    const cohort = cli(["cohort", "--mimic-cxr", mimicCxr, "--mimic-iv", mimicIv, "--out", out, "--quiet"], asNobody);
    assert.equal(cohort.status, 2, cohort.stderr);
    assert.equal(cohort.stderr, `ehr-msn: --out: expected a place this user can write to, found ${locked}: EACCES.\n`);
    assert.deepEqual(fs.readdirSync(locked), []);
  },
);
