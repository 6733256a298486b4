/** A study model's pretraining method (`method: "dino" | "mae"`) and the rows of the paper's Table 3. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Study, studyConfig, table3Models, TABLE3_MODELS } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";
import { fails } from "./studyConfigFails";

const MSN = { name: "MSN", features: [] };

test("a model's method is checked: a known one, no features for DINO and MAE, only for a pretrained model", () => {
  const c = studyConfig({
    models: [MSN, { name: "DINO", features: [], method: "dino" }, { name: "MAE", method: "mae", features: [] }],
  });
  assert.deepEqual(
    c.models.map((m) => m.method),
    [undefined, "dino", "mae"],
  );
  fails(
    { models: [MSN, { name: "DINO", features: "sex", method: "dino" }] },
    /^study\.yaml, models\[1\]\.features: expected \[\] \(DINO fuses no EHR features\), found "sex"/,
  );
  fails(
    { models: [MSN, { name: "B", features: [], method: "byol" }] },
    /models\[1\]\.method: expected one of "msn", "dino", "mae", found "byol"/,
  );
  fails(
    { models: [MSN, { name: "R", features: [], init: "random", method: "mae" }] },
    /models\[1\]\.method: expected no method: a model with init "random" or \{ weights \} is not pretrained/,
  );
  fails(
    { pretrain: { method: "mae" }, models: [{ name: "MSN+age", features: "age_norm" }] },
    /models\[0\]\.features: expected \[\] \(MAE fuses no EHR features\)/,
  );
  fails(
    {
      pretrain: { maeMaskRatio: 0.99, imageSize: 32, patch: 16, focalSize: 32 },
      models: [MSN, { name: "MAE", features: [], method: "mae" }],
    },
    /pretrain\.maeMaskRatio: expected a ratio that keeps at least one of the 4 patches/,
  );
  fails(
    { imagenet: { weights: "/nowhere/vit.safetensors" } },
    /^study\.yaml, imagenet\.weights: expected an existing ViT weight file/,
  );
});

test("Table 3's rows: the random floor, ImageNet when its weights are given, DINO, MAE, vanilla MSN and 13 variants", () => {
  const names = (ms: { name: string }[]) => ms.map((m) => m.name);
  assert.deepEqual(names(table3Models()), ["Random", "DINO", "MAE", ...names(TABLE3_MODELS)]);
  const dir = tempDir("table3-models");
  const weights = path.join(dir, "vit.safetensors");
  fs.writeFileSync(weights, "");
  const all = table3Models({ weights, heads: 6 });
  assert.equal(all.length, 18);
  assert.deepEqual(all[1], { name: "ImageNet", features: [], init: { weights, heads: 6 } });
  const c = studyConfig({ models: all, baseline: "MSN" });
  assert.equal(c.baseline, "MSN");
});

test("a run folder refuses a model whose method changed", () => {
  const runsDir = tempDir("model-method");
  const given = (method: string) => ({ name: "m", runsDir, models: [MSN, { name: "SSL", features: [], method }] });
  Study.open(given("dino")).close();
  assert.throws(
    () => Study.open(given("mae")),
    (e: unknown) => e instanceof InputError && /found a different method of model SSL/.test((e as Error).message),
  );
});
