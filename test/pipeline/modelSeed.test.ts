/** A study model's own pretraining seed: checked with the config, used for its weights, kept in the run folder. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { demoModels, Study, studyConfig } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";
import { tempDir } from "../support/tempDir";

test("a model's seed is its pretraining seed; others keep the study's; a changed seed is refused in the same folder", async () => {
  const runsDir = tempDir("model-seed");
  const given = { name: "seeds", runsDir, seed: 5, models: demoModels(3) };
  const study = Study.open(given);
  try {
    assert.equal(study.pretrainSettings("MSN").seed, 5);
    assert.equal(study.pretrainSettings("MSN-seed2").seed, 2);
    assert.equal(study.pretrainSettings("MSN-seed3").seed, 3);
    assert.equal(study.pretrainSettings().seed, 5);
  } finally {
    await study.close();
  }
  const changed = demoModels(3).map((m) => (m.name === "MSN-seed3" ? { ...m, seed: 4 } : m));
  assert.throws(
    () => Study.open({ ...given, models: changed }),
    (e: unknown) => e instanceof InputError && /seed of model MSN-seed3/.test(e.message),
  );
});

test("a model seed that is not a non-negative integer is named by its path", () => {
  assert.throws(
    () => studyConfig({ models: [{ name: "MSN", features: [], seed: 1.5 }] }),
    (e: unknown) => e instanceof InputError && e.details.field === "models[0].seed",
  );
});
