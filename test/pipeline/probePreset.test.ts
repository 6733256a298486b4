/** A study's `probe.preset`: the paper's downstream settings, the augmented probe included. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { studyConfig } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";

test("probe.preset paper turns the augmentation on unless the file says otherwise; other presets are refused", () => {
  assert.equal(studyConfig({}).probe.augment, false);
  assert.deepEqual(studyConfig({ probe: { preset: "paper" } }).probe, {
    maxEpochs: 50,
    patience: 5,
    bootstrap: 1000,
    augment: true,
    preset: "paper",
  });
  assert.equal(studyConfig({ probe: { preset: "paper", augment: false } }).probe.augment, false);
  assert.throws(
    () => studyConfig({ probe: { preset: "simclr" } }, "study.yaml"),
    (e: unknown) => e instanceof InputError && /study\.yaml, probe\.preset/.test(e.message),
  );
});
