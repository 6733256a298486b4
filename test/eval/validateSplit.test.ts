/**
 * A validate split too small to choose an epoch on (one image: no label has both classes) is named
 * as the validate split, with its size, before any training (issue 19 item 9).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { probeEmbeddings, type LabelledEmbeddings } from "../../src/eval/probe";
import { InputError } from "../../src/util/errors";

const names = ["Edema", "Effusion"];
/** `n` points in 2-D, labels alternating 0/1 per row (row 0: [0, 1]). */
function split(n: number): LabelledEmbeddings {
  const data = Float32Array.from({ length: 2 * n }, (_, i) => (i % 3) - 1);
  const values = Float32Array.from({ length: 2 * n }, (_, i) => (Math.floor(i / 2) + (i % 2)) % 2);
  return { x: { data, n, dims: 2 }, y: { names, values } };
}

test("a one-image validate split is named, with its size, before training", async () => {
  await assert.rejects(
    probeEmbeddings({ train: split(8), validate: split(1), test: split(4) }, { quiet: true, maxEpochs: 1 }),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(
        e.message,
        "the validate split: expected at least one label with both a positive and a negative, found 1 image(s): " +
          "Edema: no positive; Effusion: no negative. The best epoch is chosen on it; give it more images " +
          "(a larger cohort, or a larger validate share).",
      );
      return true;
    },
  );
  // Two images with both classes: the protocol runs.
  const r = await probeEmbeddings(
    { train: split(8), validate: split(2), test: split(4) },
    { quiet: true, maxEpochs: 1 },
  );
  assert.equal(r.runs[0].epochs, 1);
});
