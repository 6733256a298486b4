import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cellText, notebookSkipReason, runNotebook } from "../support/notebooks";

test(
  "notebooks/00-setup.ipynb runs headless through the registered ehr-msn kernel",
  { skip: notebookSkipReason() },
  () => {
    const r = runNotebook("00-setup.ipynb", {}, 180);
    const forced = process.env.EHR_MSN_BACKEND;
    assert.match(cellText(r, 0), new RegExp(`backend: ${forced ?? "tensorflow"}, threads: \\d+, gpu: false`));
    assert.equal(cellText(r, 1).trim(), "[[19,22],[43,50]]");
    assert.match(cellText(r, 2), /\|AP\|3\|\n\|PA\|2\|\n\|LATERAL\|1\|/);
    assert.equal(cellText(r, 3).trim(), "danfo rows: 3, total images: 6");
    // Nothing alarming on stderr in a healthy set-up: no tfjs banner, no fallback note.
    for (let i = 0; i < 4; i++)
      assert.doesNotMatch(cellText(r, i), /Hi, looks like|using the (wasm|cpu) backend|oneDNN/);
  },
);
