import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { ResultsTable } from "../../src/eval/table";
import { intervalNote, resultsForest } from "../../src/pipeline/studyReport";

/** A results table as the study's probes leave it; `frame`, `html` and `csv` are not used here. */
function table(cells: ResultsTable["cells"]): ResultsTable {
  const unused = () => assert.fail("not used");
  return { columns: [], rows: [], cells, note: "", frame: unused, html: unused, csv: unused };
}

// The interval seen in issue 19: AUPRC 0.1630 with a percentile interval of [0.1653, 0.2289].
const missing = table([
  {
    model: "MSN",
    group: "",
    auroc: { estimate: 0.61, lower: 0.55, upper: 0.67 },
    auprc: { estimate: 0.163, lower: 0.1653, upper: 0.2289 },
  },
  {
    model: "MSN+age",
    group: "",
    auroc: { estimate: 0.64, lower: 0.58, upper: 0.7 },
    auprc: { estimate: 0.2, lower: 0.17, upper: 0.24 },
    pAuroc: 0.2,
    pAuprc: 0.01,
  },
]);

test("the report draws a percentile interval that misses its estimate, and says so (issue 19, items 7, 16)", () => {
  const fig = resultsForest(missing, "MSN");
  const msnAuprc = fig.data.find((t) => t.name === "MSN" && (t.x as number[])[0] === 0.163);
  assert.ok(msnAuprc, "the estimate is drawn where it is");
  assert.deepEqual(intervalNote(missing), [
    "Some percentile intervals do not contain their estimate: MSN AUPRC 0.163 outside (0.165, 0.229). " +
      "The resampled values are skewed there (few positives or few resamples); more bootstrap resamples narrow this.",
  ]);
  assert.deepEqual(
    intervalNote(table(missing.cells.slice(1))),
    [],
    "nothing to say when every interval holds its estimate",
  );
});
