import { test } from "node:test";
import * as assert from "node:assert/strict";
import { evalReport } from "../../src/eval/evalReport";
import { compare } from "../../src/eval/compare";
import { resultsTable } from "../../src/eval/table";
import { InputError } from "../../src/util/errors";
import { rocCurves, prCurves } from "../../src/viz/curves";
import { forestPlot } from "../../src/viz/forestPlot";
import type { Figure, Trace } from "../../src/viz/figure";

// Eight test images, three labels, row-major, scored by two models.
const names = ["Atelectasis", "Edema", "Fracture"];
const yTrue = [1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1];
const a = [
  0.9, 0.2, 0.6, 0.3, 0.8, 0.1, 0.7, 0.5, 0.4, 0.2, 0.1, 0.9, 0.6, 0.7, 0.3, 0.1, 0.3, 0.8, 0.5, 0.6, 0.2, 0.3, 0.4,
  0.7,
];
const b = a.map((v, i) => (i % 3 === 1 ? 1 - v : v));
const opts = { n: 200, seed: 1, quiet: true };
const y = { rows: 8, cols: 3, names, values: Float32Array.from(yTrue) };
const probeA = { model: "MSN", ...evalReport(y, Float32Array.from(a), opts) };
const probeB = { model: "MSN+age", ...evalReport(y, Float32Array.from(b), opts) };

const lines = (f: Figure) => f.data.filter((t) => t.legendgroup !== "reference");
const xy = (t: Trace) => [t.name, t.xaxis, t.x, t.y];

test("rocCurves / prCurves take probe results and draw the labels asked for, as from the matrices", () => {
  const pick = (v: number[], j: number) => v.filter((_, i) => i % 3 === j);
  const byHand = [
    {
      model: "MSN",
      labels: ["Edema", "Atelectasis"],
      yTrue: [pick(yTrue, 1), pick(yTrue, 0)],
      yScore: [pick(a, 1), pick(a, 0)],
    },
    {
      model: "MSN+age",
      labels: ["Edema", "Atelectasis"],
      yTrue: [pick(yTrue, 1), pick(yTrue, 0)],
      yScore: [pick(b, 1), pick(b, 0)],
    },
  ].map((m) => ({ ...m, yTrue: transpose(m.yTrue), yScore: transpose(m.yScore) }));
  for (const build of [rocCurves, prCurves]) {
    const fromResults = build([probeA, probeB], { labels: ["Edema", "Atelectasis"] });
    assert.deepEqual(lines(fromResults).map(xy), lines(build(byHand)).map(xy));
    assert.deepEqual(
      lines(fromResults).map((t) => [t.name, t.xaxis]),
      [
        ["MSN", "x"],
        ["MSN+age", "x"],
        ["MSN", "x2"],
        ["MSN+age", "x2"],
      ],
    );
  }
  // Edema: positives scored 0.8, 0.5, 0.3, 0.6 and negatives 0.2, 0.1, 0.7, 0.4 by A: 12 of 16 pairs
  // in order, AUROC 0.75; B reverses the scores: 0.25.
  const roc = rocCurves([probeA, probeB], { labels: ["Edema"] });
  assert.match(String(lines(roc)[0].hovertemplate), /Edema · MSN<br>.*AUROC 0\.750/);
  assert.match(String(lines(roc)[1].hovertemplate), /Edema · MSN\+age<br>.*AUROC 0\.250/);
  assert.equal(lines(rocCurves(probeA)).length, 3, "every label by default");
  assert.throws(
    () => rocCurves(probeA, { labels: ["Edema", "Pneumonia"] }),
    (e: unknown) => e instanceof InputError && /missing: Pneumonia/.test(e.message),
  );
});

test("forestPlot takes results, a results table and comparisons directly", () => {
  const fromResults = forestPlot([probeA, probeB]);
  assert.deepEqual(
    fromResults.data.map((t) => [t.name, t.xaxis, t.x]),
    [
      ["MSN", "x", [probeA.macro.auroc.estimate]],
      ["MSN+age", "x", [probeB.macro.auroc.estimate]],
      ["MSN", "x2", [probeA.macro.auprc.estimate]],
      ["MSN+age", "x2", [probeB.macro.auprc.estimate]],
    ],
  );
  const err = fromResults.data[1].error_x as { array: number[]; arrayminus: number[] };
  assert.ok(Math.abs(err.array[0] - (probeB.macro.auroc.upper - probeB.macro.auroc.estimate)) < 1e-12);

  const entries = [probeA, probeB].map((p) => ({ model: p.model, test: p.test }));
  const table = resultsTable(entries, { ...opts, baseline: "MSN" });
  const fromTable = forestPlot(table, { reference: "MSN" });
  assert.deepEqual(
    fromTable.data.map((t) => t.x),
    table.cells.flatMap((c) => [[c.auroc.estimate]]).concat(table.cells.map((c) => [c.auprc.estimate])),
  );
  const shapes = fromTable.layout.shapes as { x0: number }[];
  assert.deepEqual(
    shapes.map((s) => s.x0),
    [table.cells[0].auroc.estimate, table.cells[0].auprc.estimate],
  );

  const c = compare({ yTrue: y, yScore: { names, values: a } }, { yTrue: y, yScore: { names, values: b } }, opts);
  const fromComparisons = forestPlot([{ model: "MSN+age", comparison: c }]);
  assert.deepEqual(
    fromComparisons.data.map((t) => [t.y, t.x]),
    [
      [["MSN+age"], [c.macro.auroc.diff]],
      [["MSN+age"], [c.macro.auprc.diff]],
    ],
  );
  assert.deepEqual(
    (fromComparisons.layout.shapes as { x0: number }[]).map((s) => s.x0),
    [0, 0],
    "a line at no difference",
  );
  assert.match(JSON.stringify(fromComparisons.layout.title), /Difference from the baseline/);
  assert.deepEqual(
    ["xaxis", "xaxis2"].map((k) => (fromComparisons.layout[k] as { title: { text: string } }).title.text),
    ["AUROC difference (95% CI)", "AUPRC difference (95% CI)"],
  );
  assert.throws(
    () => forestPlot([{ macro: probeA.macro }] as never),
    (e: unknown) => e instanceof InputError && /model name/.test(e.message),
  );
});

function transpose(cols: number[][]): number[][] {
  return cols[0].map((_, i) => cols.map((c) => c[i]));
}
