/** DINO on the shared training loop: it lowers its loss, a resumed run equals an uninterrupted one; older checkpoints still resume. */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as backend from "../../src/backend";
import { listCheckpoints } from "../../src/train/checkpoint";
import { METHOD_DEFAULTS } from "../../src/train/config";
import { pretrainOnSource } from "../../src/train/pretrain";
import { InputError } from "../../src/util/errors";
import { assertResumesExactly, syntheticSource, TINY } from "./support";
import { tempDir } from "../support/tempDir";

const DINO = { ...TINY, method: "dino" as const, dinoOutDim: 64, dinoHiddenDim: 32, dinoBottleneckDim: 16 };

before(async () => {
  await backend.init({ quiet: true });
});

test("DINO lowers its loss over a few hundred steps on a tiny config", async () => {
  // A faster teacher (momentum 0.99) and a larger learning rate than the defaults, so that 300 steps go somewhere.
  const r = await pretrainOnSource({ ...DINO, epochs: 75, lr: 3e-3, momentum: 0.99 }, syntheticSource(), {
    quiet: true,
  });
  const loss = r.history.loss;
  assert.equal(loss.length, 300);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(loss.slice(0, 20));
  const last = mean(loss.slice(-20));
  console.log(`# DINO loss: first 20 steps ${first.toFixed(4)}, last 20 ${last.toFixed(4)}`);
  assert.ok(last < 0.5 * first, `the loss falls: ${first} -> ${last}`);
  assert.ok(
    r.model.center.dataSync().some((c) => c !== 0),
    "the centre moved",
  );
  r.model.dispose();
});

test("DINO resumes exactly (teacher, student, centre and AdamW state in the checkpoint); EHR features are refused", async () => {
  await assertResumesExactly(DINO, tempDir("dino-resume"));
  await assert.rejects(
    pretrainOnSource(DINO, syntheticSource({ ehrFeatures: ["a", "b"] }), { quiet: true }),
    (e: unknown) => e instanceof InputError && /ehrIn: expected 0: DINO fuses no EHR features, found 2/.test(e.message),
  );
});

test("a checkpoint written before `method` and DINO's options existed resumes as the MSN run it was", async () => {
  const dir = tempDir("old-checkpoint");
  const source = syntheticSource();
  const done = await pretrainOnSource({ ...TINY, epochs: 1 }, source, { dir, quiet: true });
  done.model.dispose();
  const ckpt = listCheckpoints(dir).at(-1)!;
  const file = path.join(ckpt, "config.json");
  const written = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const k of Object.keys(METHOD_DEFAULTS)) delete written.config[k];
  fs.writeFileSync(file, JSON.stringify(written, null, 1) + "\n");
  const state = JSON.parse(fs.readFileSync(path.join(ckpt, "state.json"), "utf8"));
  state.sha256["config.json"] = createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  fs.writeFileSync(path.join(ckpt, "state.json"), JSON.stringify(state));
  const again = await pretrainOnSource({ ...TINY, epochs: 1 }, source, { dir, resume: true, quiet: true });
  assert.equal(again.resumedFrom, again.steps, "the finished run is recognised, nothing is retrained");
  again.model.dispose();
});
