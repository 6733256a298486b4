import { test } from "node:test";
import * as assert from "node:assert/strict";
import { cellText, notebookSkipReason, runNotebook } from "../support/notebooks";
import type { ExecuteResult } from "../../src/jupyter";

/** The HTML of every display output of code cell `index`. */
function html(r: ExecuteResult, index: number): string {
  const cell = r.notebook.cells.filter((c) => c.cell_type === "code")[index];
  return (cell?.outputs ?? [])
    .filter((o) => o.output_type === "display_data")
    .map((o) => String(o.data?.["text/html"] ?? ""))
    .join("\n");
}

test(
  "notebooks/00-setup.ipynb runs headless through the registered ehr-msn kernel",
  { skip: notebookSkipReason() },
  () => {
    const r = runNotebook("00-setup.ipynb", {}, 180);
    const forced = process.env.EHR_MSN_BACKEND;
    assert.match(cellText(r, 0), new RegExp(`backend: ${forced ?? "tensorflow"}, threads: \\d+, gpu: false`));
    assert.equal(cellText(r, 1).trim(), "[[19,22],[43,50]]");
    // The tables are shown as tables: arquero's sorted by images, danfo's as built.
    const rows = (i: number) =>
      [...html(r, i).matchAll(/<tr><td>(\w+)<\/td><td>(\d+)<\/td><\/tr>/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(rows(2), ["AP 3", "PA 2", "LATERAL 1"]);
    assert.deepEqual(rows(3), ["PA 2", "AP 3", "LATERAL 1"]);
    assert.equal(cellText(r, 3).trim(), "danfo rows: 3, total images: 6");
    // Nothing alarming on stderr in a healthy set-up: no tfjs banner, no fallback note.
    for (let i = 0; i < 4; i++)
      assert.doesNotMatch(cellText(r, i), /Hi, looks like|using the (wasm|cpu) backend|oneDNN/);
  },
);
