import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { studyConfig } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";

function cli(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(packageRoot(), "bin", "ehr-msn.js"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
}

test("an invalid EHR_MSN_BACKEND stops a study before any data, cohort or cache is built (issue 19, item 9)", () => {
  const dir = tempDir("backend-env");
  const r = cli({ EHR_MSN_BACKEND: "cuda" }, "report", "--runs-dir", path.join(dir, "runs"), "--synth", "20");
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /EHR_MSN_BACKEND: expected one of tensorflow-gpu, webgpu, tensorflow, wasm, cpu, found "cuda"/,
  );
  assert.equal(fs.existsSync(path.join(dir, "runs")), false, "no run folder, no data");
});

test('onBadImage: "skip" can be set in a config file, and --skip-bad-images sets it (issue 19, item 10)', () => {
  assert.equal(studyConfig({}).onBadImage, "error");
  assert.equal(studyConfig({ onBadImage: "skip" }).onBadImage, "skip");
  assert.throws(
    () => studyConfig({ onBadImage: "ignore" }, "s.yaml"),
    (e: unknown) =>
      e instanceof InputError && /s\.yaml, onBadImage: expected one of "error", "skip", found "ignore"/.test(e.message),
  );
  const help = cli({}, "report", "--help");
  assert.match(help.stdout, /--skip-bad-images/);
});

test("focalSize: 16 is reported as the focal size (not maskRatio), before any data, cohort or cache (issue 19, item 9)", () => {
  const dir = tempDir("focal-size");
  const config = path.join(dir, "tiny.yaml");
  fs.writeFileSync(config, "pretrain:\n  focalSize: 16\n");
  const r = cli({}, "pretrain", "--config", config, "--runs-dir", path.join(dir, "runs"), "--synth", "20");
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stderr,
    `ehr-msn: ${config}, pretrain.focalSize: expected a view that keeps at least one of its 16 px patches after ` +
      "masking 0.15 of them (at least 32 px), found 16. A 16 px view has 1 patch(es), of which the mask would keep none.\n",
  );
  assert.deepEqual(fs.readdirSync(dir), ["tiny.yaml"], "no run folder, no data");
  // The anchor views are masked too; focal views that are not masked may be one patch.
  assert.throws(
    () => studyConfig({ pretrain: { imageSize: 16, focalSize: 32 } }),
    /pretrain\.imageSize: expected a view that keeps/,
  );
  assert.equal(studyConfig({ pretrain: { focalSize: 16, maskViews: "anchor" } }).pretrain.focalSize, 16);
});
