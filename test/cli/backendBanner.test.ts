/**
 * A study command chooses the backend before it makes any tensor (issue 19 item 9): an encoder made
 * or read first used to start TensorFlow.js's CPU backend, which printed its "install the node
 * backend" banner although the node backend was in use. Every study command (pretrain, probe, report,
 * ...) goes through the same start; pretrain with a random encoder is the quickest to make a tensor.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";

const root = packageRoot();
const chosen = spawnSync(
  process.execPath,
  [
    "-e",
    `require(${JSON.stringify(path.join(root, "dist/src/backend"))}).init({ quiet: true }).then((i) => console.log(i.name))`,
  ],
  { encoding: "utf8" },
).stdout.trim();

test(
  "a study command that makes an encoder before any data prints no TensorFlow.js backend banner",
  { skip: chosen === "cpu" ? "the cpu backend is the one in use here: its banner is then TensorFlow.js's due" : false },
  () => {
    const dir = tempDir("banner");
    fs.writeFileSync(path.join(dir, "c.yaml"), "models:\n  - name: rand\n    init: random\n");
    const r = spawnSync(
      process.execPath,
      [path.join(root, "bin", "ehr-msn.js"), "pretrain", "--config", "c.yaml", "--synth", "20", "--image-size", "32"],
      { cwd: dir, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /rand: .*encoder\.safetensors/);
    assert.doesNotMatch(r.stderr + r.stdout, /looks like you are running TensorFlow\.js in Node\.js/);
  },
);
