import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { studyConfig, mergeConfig, TABLE3_MODELS, DEMO_CONFIG } from "../../src/pipeline";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";
import { fails } from "./studyConfigFails";

test("the defaults are the authors' pretraining with vanilla MSN and MSN+demographics on a synthetic cohort", () => {
  const c = studyConfig({});
  assert.deepEqual(
    c.models.map((m) => m.name),
    ["MSN", "MSN+demographics"],
  );
  assert.equal(c.baseline, "MSN");
  assert.deepEqual(c.data, { synth: { patients: 500, imageLongSide: 512 } });
  assert.deepEqual(c.pretrain, {});
  assert.equal(c.probe.bootstrap, 1000);
});

test("Table 3 lists vanilla MSN and the 13 feature sets, all known to the cohort", () => {
  assert.equal(TABLE3_MODELS.length, 14);
  const c = studyConfig({ models: TABLE3_MODELS });
  assert.equal(c.models.length, 14);
  assert.deepEqual(c.models[0].features, []);
});

test("an unknown feature names the model's field and the likely intended name", () => {
  fails(
    {
      models: [
        { name: "MSN", features: [] },
        { name: "X", features: "socio-nrom" },
      ],
    },
    /study\.yaml, models\[1\]\.features: expected a feature set .* found "socio-nrom"\. Did you mean "socio-norm"\?/,
  );
});

test("a missing MIMIC folder is named with the fix", () => {
  fails(
    { data: { mimicCxr: "/nowhere/cxr", mimicIv: "/nowhere/iv" } },
    /data\.mimicCxr: expected an existing folder, found nothing at \/nowhere\/cxr\. Point it at your MIMIC download/,
  );
});

test("an external dataset folder that is not there is named before any work", () => {
  fails(
    { external: { chexpert: "/nonexistent/CheXpert-v1.0" } },
    /study\.yaml, external\.chexpert: expected the CheXpert folder, found no folder at \/nonexistent\/CheXpert-v1\.0/,
  );
  fails({ external: { nih: 3 } }, /external\.nih: expected the NIH ChestX-ray14 folder, found 3/);
  fails(
    { external: { chexpret: "." } },
    /external\.chexpret: expected one of external\.chexpert, external\.nih.*Did you mean "chexpert"/,
  );
  assert.deepEqual(studyConfig({ external: { nih: "." } }).external, { nih: "." });
});

test("a MIMIC folder without its files names the file it looked for", () => {
  const dir = tempDir("empty");
  fails(
    { data: { mimicCxr: dir, mimicIv: dir } },
    /expected the MIMIC-CXR-JPG metadata \(mimic-cxr-2\.0\.0-metadata\.csv\.gz or \.csv\), found none of them/,
  );
});

test("a value of the wrong type names its path in the file", () => {
  fails({ pretrain: { epochs: "ten" } }, /study\.yaml, pretrain\.epochs: expected a positive integer, found "ten"/);
  fails({ probe: { bootstrap: 0 } }, /probe\.bootstrap: expected a positive integer, found 0/);
  fails({ probe: { logisticC: [0.1, 0] } }, /probe\.logisticC\[1\]: expected a positive number, found 0/);
  fails({ probe: { logisticC: [1], augment: true } }, /probe\.logisticC: expected no augment, preset or runs with it/);
  fails({ cohort: { uncertain: "maybe" } }, /cohort\.uncertain/);
});

test("a misspelt option is refused with the option it resembles", () => {
  fails(
    { pretrian: {} },
    /pretrian: expected one of .*found the unknown option "pretrian"\. Did you mean "pretrain"\?/,
  );
  fails(
    { pretrain: { epoch: 3 } },
    /pretrain\.epoch: expected a pretraining option, found an unknown field "epoch"\. Did you mean "epochs"\?/,
  );
  fails(
    { baseline: "msn" },
    /baseline: expected one of the models \(MSN, MSN\+demographics\), found "msn"\. Did you mean "MSN"\?/,
  );
  fails(
    {
      models: [
        { name: "A", features: [] },
        { name: "A", features: "sex" },
      ],
    },
    /models\[1\]\.name: expected a name no other model has/,
  );
});

test("the demo probes with the converged logistic regression, every C of the grid", () => {
  const c = studyConfig(DEMO_CONFIG as Record<string, unknown>);
  assert.deepEqual(c.probe.logisticC, [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3]);
  assert.equal(c.probe.augment, false);
});

test("later config layers win, sections merge key by key", () => {
  const m = mergeConfig(
    DEMO_CONFIG as Record<string, unknown>,
    { pretrain: { epochs: 1 } },
    { name: "x", seed: undefined },
  );
  assert.equal(m.name, "x");
  assert.equal((m.pretrain as { epochs: number; imageSize: number }).epochs, 1);
  assert.equal((m.pretrain as { epochs: number; imageSize: number }).imageSize, 112);
});

test("the CLI stops on a bad config before any work, with exit code 2 and the field in the message", () => {
  const dir = tempDir("cli");
  const file = path.join(dir, "bad.yaml");
  fs.writeFileSync(
    file,
    `name: bad\nrunsDir: ${dir}/runs\nmodels:\n  - { name: MSN, features: [] }\n  - { name: MSN+x, features: [sexx] }\n`,
  );
  const r = spawnSync(process.execPath, [path.join(packageRoot(), "bin", "ehr-msn.js"), "report", "--config", file], {
    encoding: "utf8",
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /bad\.yaml, models\[1\]\.features: .*found "sexx"\. Did you mean "sex"\?/);
  assert.equal(
    fs.existsSync(path.join(dir, "runs", "bad")),
    false,
    "nothing was written before the config was checked",
  );
});
