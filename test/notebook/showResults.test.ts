import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as aq from "arquero";
import { build } from "../../src/cohort/build";
import { compare } from "../../src/eval/compare";
import { evalReport } from "../../src/eval/evalReport";
import { resultsTable } from "../../src/eval/table";
import { mimeBundle } from "../../src/notebook/display";
import { forestPlot } from "../../src/viz/forestPlot";
import { trainingCurves } from "../../src/viz/training";
import { writeHandmade } from "../cohort/handmade";

/**
 * Every result type a notebook user gets back renders with `show`: its MIME bundle carries readable
 * HTML and plain text (never a dump of raw arrays or "[object Object]").
 */

// Two labels, eight images: model B ranks every positive above every negative, model A does not.
const names = ["Edema", "Pneumonia"];
const yTrue = { rows: 8, cols: 2, names, values: [1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1] };
const scoresA = Float32Array.from([0.6, 0.5, 0.7, 0.4, 0.3, 0.6, 0.2, 0.1, 0.8, 0.9, 0.4, 0.2, 0.1, 0.3, 0.5, 0.6]);
const scoresB = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.8, 0.2, 0.1, 0.9, 0.9, 0.7, 0.3, 0.1, 0.2, 0.1, 0.8, 0.9]);
const a = evalReport(yTrue, scoresA, { n: 50, seed: 1 });
const b = evalReport(yTrue, scoresB, { n: 50, seed: 1 });

function rendered(x: unknown): { html: string; text: string } {
  const bundle = mimeBundle(x);
  return { html: String(bundle["text/html"] ?? ""), text: String(bundle["text/plain"]) };
}

function readable(r: { html: string; text: string }): void {
  for (const s of [r.html, r.text]) {
    assert.doesNotMatch(s, /\[object Object\]|Float32Array|Float64Array/);
    assert.ok(s.length < 20_000, `a short rendering, not a dump (${s.length} characters)`);
  }
}

test("show: a probe's evaluation as its macro line and per-label table", () => {
  const r = rendered(b);
  readable(r);
  assert.match(r.text, /^Macro AUROC 1\.000 \(1\.000, 1\.000\), macro AUPRC 1\.000 \(1\.000, 1\.000\)/);
  assert.match(r.text, /Edema/);
  assert.match(r.text, /Pneumonia/);
  assert.match(r.html, /<table/);
  assert.match(r.html, /Edema/);
});

test("show: a results table as its rows and note", () => {
  const t = resultsTable(
    [
      { model: "MSN", test: { yTrue, yScore: { names, values: scoresA } } },
      { model: "MSN+age", test: { yTrue, yScore: { names, values: scoresB } } },
    ],
    { baseline: "MSN", n: 50, seed: 1, quiet: true },
  );
  const r = rendered(t);
  readable(r);
  const lines = r.text.split("\n");
  assert.match(lines[0], /^Model\s+/i);
  assert.match(r.text, /^MSN\+age\s+1\.000/m);
  assert.ok(r.text.includes(t.note) && t.note !== "");
  assert.equal(r.html, t.html());
});

test("show: a comparison as one row per label and the macro row, differences B - A", () => {
  const c = compare(a.test, b.test, { n: 50, seed: 1 });
  const r = rendered(c);
  readable(r);
  assert.match(r.text, /Differences B - A on the same test images: 50 paired bootstrap resamples, 95% intervals/);
  const macro = r.text.split("\n").find((l) => l.startsWith("macro"))!;
  assert.ok(macro.includes(`+${c.macro.auroc.diff.toFixed(3)}`), macro);
  assert.match(r.text, /^Edema\s/m);
  assert.match(r.html, /<th>AUROC B-A<\/th>/);
});

test("show: a study's results as its table, comparisons and report path", () => {
  const table = resultsTable([{ model: "MSN", test: { yTrue, yScore: { names, values: scoresA } } }], {
    n: 50,
    seed: 1,
    quiet: true,
  });
  const comparison = compare(a.test, b.test, { n: 50, seed: 1 });
  const r = rendered({ table, comparisons: [{ model: "MSN+age", comparison }], probes: [], report: "/r/report.html" });
  readable(r);
  assert.match(r.text, /MSN\+age against the baseline/);
  assert.match(r.text, /Report: \/r\/report\.html/);
  assert.ok(r.html.includes(table.html()));
});

test("show: a cohort, its summary and its build report; tables; figures and live curves", async () => {
  const c = await build({ ...writeHandmade(), quiet: true, impute: "mode" });
  const cohort = rendered(c);
  readable(cohort);
  assert.match(cohort.text, /images, studies and patients per split/);
  assert.equal(rendered(c.summary()).html, c.summary().html());
  const report = rendered(c.report);
  assert.equal(report.text, c.report.text());
  assert.match(report.html, /^<pre/);
  assert.doesNotMatch(cohort.html + report.text, /d01|10000001/, "no ids");
  const table = rendered(aq.table({ split: ["train", "test"], n: [3, 1] }));
  assert.ok(table.text.startsWith("split  n\n-----  -\ntrain  3\ntest   1\n"), table.text);
  const fig = mimeBundle(forestPlot([{ model: "MSN", metric: "AUROC", value: 0.7, lo: 0.6, hi: 0.8 }]));
  assert.ok(fig["application/vnd.plotly.v1+json"]);
  const curves = mimeBundle(trainingCurves().append(1, { loss: 2 }));
  assert.match(String(curves["text/plain"]), /^Plotly figure/);
});
