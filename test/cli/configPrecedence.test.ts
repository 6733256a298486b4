import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { DEMO_CONFIG, layeredStudyConfig, mergeConfig } from "../../src/pipeline";
import type { ConfigLayer } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";

const preset = (values: object): ConfigLayer => ({
  source: { kind: "preset", name: "demo" },
  values: values as Record<string, unknown>,
});
const file = (values: Record<string, unknown>): ConfigLayer => ({
  source: { kind: "file", file: "tiny.yaml" },
  values,
});
/** Flags as commander leaves them: every flag of the command present, the ones not given undefined. */
const flags = (pretrain: Record<string, unknown>): ConfigLayer => ({
  source: { kind: "flags", flags: { "pretrain.epochs": "--epochs", "pretrain.batchSize": "--batch-size" } },
  values: { name: undefined, seed: undefined, pretrain },
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(packageRoot(), "bin", "ehr-msn.js"), ...args], { encoding: "utf8" });
}

test("a flag given with --config keeps the file's other values (issue 19, item 1)", () => {
  const c = layeredStudyConfig([
    preset({ name: "study" }),
    file({ pretrain: { vit: "tiny", imageSize: 64, batchSize: 8, focalSize: 32 } }),
    flags({ vit: undefined, epochs: 20, batchSize: undefined, imageSize: undefined }),
  ]);
  assert.deepEqual(c.pretrain, { vit: "tiny", imageSize: 64, batchSize: 8, focalSize: 32, epochs: 20 });
});

test("`demo --epochs 1` keeps the demo's 112 px views and batch 32 (issue 19, item 1)", () => {
  const c = layeredStudyConfig([preset(DEMO_CONFIG), flags({ epochs: 1, batchSize: undefined, vit: undefined })]);
  assert.equal(c.pretrain.epochs, 1);
  assert.equal(c.pretrain.imageSize, 112);
  assert.equal(c.pretrain.batchSize, 32);
  assert.equal(c.pretrain.vit, "tiny");
  // mergeConfig is the same merge.
  const m = mergeConfig(DEMO_CONFIG as Record<string, unknown>, { pretrain: { epochs: 1, imageSize: undefined } });
  assert.equal((m.pretrain as { imageSize: number }).imageSize, 112);
});

test("an error names the layer that set the value: the file and key, or the flag (issue 19, item 9)", () => {
  const err = (layers: ConfigLayer[]) => {
    try {
      layeredStudyConfig(layers);
    } catch (e) {
      assert.ok(e instanceof InputError, String(e));
      return e.message;
    }
    assert.fail("no error");
  };
  assert.match(
    err([preset({}), file({ pretrain: { epochs: 0 } }), flags({ batchSize: 8 })]),
    /^tiny\.yaml, pretrain\.epochs: expected a positive integer, found 0/,
  );
  const fromFlag = err([preset({}), file({ pretrain: { epochs: 2 } }), flags({ batchSize: 0 })]);
  assert.match(fromFlag, /^--batch-size \(pretrain\.batchSize\): expected a positive integer, found 0/);
  assert.doesNotMatch(fromFlag, /tiny\.yaml/);
});

test("the CLI blames a flag's bad value on the flag, not on the config file", () => {
  const dir = tempDir("precedence");
  const yaml = path.join(dir, "f.yaml");
  fs.writeFileSync(yaml, `name: f\nrunsDir: ${dir}/runs\npretrain: { epochs: 1 }\n`);
  const r = cli("report", "--config", yaml, "--features", "sexx");
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--features \(models\[0\]\.features\): expected .*found "sexx"\. Did you mean "sex"\?/);
  assert.doesNotMatch(r.stderr, /f\.yaml/);
  const b = cli("pretrain", "--config", yaml, "--batch-size", "-1");
  assert.equal(b.status, 2, b.stderr);
  assert.match(b.stderr, /^ehr-msn: --batch-size: expected a positive integer, found "-1"/);
  assert.equal(fs.existsSync(path.join(dir, "runs")), false, "nothing written");
});
