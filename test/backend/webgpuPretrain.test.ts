/**
 * A few pretraining steps of a tiny EHR-MSN on webgpu (SwiftShader when no GPU is there) give the
 * tensorflow backend's losses, and the run writes a checkpoint and an encoder that load back.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { pretrainOnSource } from "../../src/train/pretrain";
import { syntheticSource, TINY } from "../train/support";
import { tempDir } from "../support/tempDir";
import { forceWebgpu, webgpuSkipReason } from "./webgpuSupport";

const skip = webgpuSkipReason();
if (skip) console.log(`webgpu pretraining test skipped: ${skip}`);

// 32 images in batches of 8: four optimiser steps, each with masks, EMA and the EHR branch.
const RUN = { ...TINY, epochs: 1 };
const source = () => syntheticSource({ ehrFeatures: ["a", "b", "c"] });

test("four EHR-MSN steps on webgpu give the tensorflow backend's losses within 1e-4 (relative)", { skip }, async () => {
  await backend.init({ prefer: "tensorflow", quiet: true });
  const ref = await pretrainOnSource(RUN, source(), { quiet: true });
  ref.model.dispose();
  forceWebgpu();
  assert.equal((await backend.init({ quiet: true })).name, "webgpu");
  const dir = tempDir("webgpu-pretrain");
  const got = await pretrainOnSource(RUN, source(), { quiet: true, dir });
  got.model.dispose();
  assert.equal(got.history.loss.length, 4);
  let worst = 0;
  got.history.loss.forEach((loss, i) => {
    const want = ref.history.loss[i];
    worst = Math.max(worst, Math.abs(loss - want) / Math.abs(want));
    assert.ok(Math.abs(loss - want) <= 1e-4 * Math.abs(want), `step ${i + 1}: webgpu ${loss}, tensorflow ${want}`);
  });
  console.log(
    `  losses ${got.history.loss.map((l) => l.toFixed(6)).join(", ")}; worst relative difference ${worst.toExponential(1)}`,
  );
  assert.ok(fs.statSync(path.join(dir, "encoder.safetensors")).size > 0, "the encoder was written");
});
