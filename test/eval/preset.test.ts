/**
 * `preset: "paper"`: the paper's downstream settings at once (the augmented probe, re-embedded every
 * epoch), explicit fields winning.
 */
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { probe } from "../../src/eval/probe";
import { PAPER_DOWNSTREAM, withPreset } from "../../src/eval/protocol";
import { PROTOCOL_RUNS } from "../../src/eval/schedule";
import { InputError } from "../../src/util/errors";
import { brightHalves, projectionEncoder } from "./support";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-preset-"));

before(async () => {
  await backend.init({ quiet: true });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("withPreset: the paper's settings (method-reference §14), explicit fields winning, view and augment merged", () => {
  const none: { maxEpochs: number; preset?: "paper" } = { maxEpochs: 3 };
  assert.equal(withPreset(none), none);
  const paper = withPreset({ preset: "paper" as const });
  assert.deepEqual(paper, {
    preset: "paper",
    runs: PROTOCOL_RUNS,
    maxEpochs: 50,
    patience: 5,
    minDelta: 1e-5,
    plateau: { factor: 0.5, patience: 3 },
    batchSize: 64,
    dropLast: true,
    augment: { hflip: 0.5, degrees: 45, translate: [0.15, 0.15], scale: [0.85, 1.15] },
    view: { resize: 256, normalize: "imagenet" },
  });
  const mine = withPreset({
    preset: "paper" as const,
    maxEpochs: 3,
    patience: undefined,
    view: { crop: 112 },
    augment: { degrees: 10 },
  });
  assert.deepEqual([mine.maxEpochs, mine.patience], [3, 5]);
  assert.deepEqual(mine.view, { resize: 256, normalize: "imagenet", crop: 112 });
  assert.deepEqual(mine.augment, { ...PAPER_DOWNSTREAM.augment, degrees: 10 });
  assert.equal(withPreset({ preset: "paper" as const, augment: false }).augment, false);
  assert.throws(
    () => withPreset({ preset: "simclr" as never }),
    (e: unknown) => e instanceof InputError && /preset/.test(e.message),
  );
});

test("probe({ preset: 'paper' }) embeds augmented training images every epoch", async () => {
  const { dataset, cache } = brightHalves(11, tmp);
  const encoder = projectionEncoder({ imageSize: 16, channels: 1, dim: 24, seed: 4 });
  const r = await probe({
    encoder,
    cohort: dataset,
    cache,
    preset: "paper",
    // The images are 16 x 16: this view (given) wins over the preset's Resize(256).
    view: { resize: 16, crop: 16, channels: 1, normalize: false },
    runs: [{ lr: 3e-2, scheduler: "cosine", earlyStopping: true }],
    maxEpochs: 3,
    embedBatchSize: 40,
    n: 50,
    quiet: true,
  });
  // 3 splits embedded once (2 + 1 + 1 batches of 40), then the 80 training images (2 batches) in each of 3 epochs.
  assert.equal(encoder.calls, 4 + 3 * 2);
  assert.equal(r.runs[0].epochs, 3);
  encoder.dispose();
});
