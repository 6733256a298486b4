import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as aq from "arquero";
import { InputError } from "../../src/util/errors";
import { IGNORE_LABEL } from "../../src/util/labels";
import { ehrDistributions } from "../../src/viz/ehr";
import { forestPlot } from "../../src/viz/forestPlot";
import { isFigure, Trace, Figure } from "../../src/viz/figure";
import { labelPrevalence } from "../../src/viz/prevalence";
import { prCurves, prPoints, rocCurves, rocPoints } from "../../src/viz/curves";
import { embeddingScatter, FIGURE3_GROUPS, singleLabels, tsneFigure } from "../../src/viz/scatter";
import { trainingCurves } from "../../src/viz/training";

const annotationTexts = (f: Figure) => ((f.layout.annotations ?? []) as { text: string }[]).map((a) => a.text);
const axisTitle = (f: Figure, key: string) => (f.layout[key] as { title?: { text: string } }).title?.text;

/** Ten images: two splits, every EHR field, identifiers that must never reach the figure. */
const rows = [
  {
    subject_id: 10000032,
    dicom_id: "d-aa",
    split: "train",
    age: 52,
    sex: "F",
    view: "PA",
    position: "Erect",
    icu: 0,
    mortality: 0,
  },
  {
    subject_id: 10000033,
    dicom_id: "d-ab",
    split: "train",
    age: 57,
    sex: "M",
    view: "AP",
    position: "Recumbent",
    icu: 1,
    mortality: 0,
  },
  {
    subject_id: 10000034,
    dicom_id: "d-ac",
    split: "train",
    age: 61,
    sex: "M",
    view: "AP",
    position: "Erect",
    icu: 1,
    mortality: 1,
  },
  {
    subject_id: 10000035,
    dicom_id: "d-ad",
    split: "train",
    age: 83,
    sex: "F",
    view: "LATERAL",
    position: "Erect",
    icu: 0,
    mortality: 0,
  },
  {
    subject_id: 10000036,
    dicom_id: "d-ae",
    split: "train",
    age: null,
    sex: "F",
    view: "PA",
    position: null,
    icu: 0,
    mortality: 0,
  },
  {
    subject_id: 10000037,
    dicom_id: "d-af",
    split: "train",
    age: 45,
    sex: "M",
    view: "PA",
    position: "Erect",
    icu: 0,
    mortality: 0,
  },
  {
    subject_id: 10000038,
    dicom_id: "d-ag",
    split: "test",
    age: 50,
    sex: "F",
    view: "AP",
    position: "Recumbent",
    icu: 1,
    mortality: 1,
  },
  {
    subject_id: 10000039,
    dicom_id: "d-ah",
    split: "test",
    age: 54,
    sex: "M",
    view: "AP",
    position: "Recumbent",
    icu: 1,
    mortality: 0,
  },
  {
    subject_id: 10000040,
    dicom_id: "d-ai",
    split: "test",
    age: 66,
    sex: "M",
    view: "PA",
    position: "Erect",
    icu: 0,
    mortality: 0,
  },
  {
    subject_id: 10000041,
    dicom_id: "d-aj",
    split: "test",
    age: 71,
    sex: "F",
    view: "PA",
    position: "Erect",
    icu: 0,
    mortality: 0,
  },
];

function noIds(f: Figure): void {
  const json = JSON.stringify(f);
  for (const r of rows) {
    assert.ok(!json.includes(String(r.subject_id)), `subject_id ${r.subject_id} in the figure`);
    assert.ok(!json.includes(r.dicom_id), `dicom_id ${r.dicom_id} in the figure`);
  }
  assert.ok(!/subject_id|dicom_id/.test(json));
}

test("EHR distributions: a panel per feature, a bar trace per split, percentages within each split", () => {
  const f = ehrDistributions(rows);
  assert.ok(isFigure(f));
  assert.deepEqual(annotationTexts(f), [
    "<b>Age (1 missing)</b>",
    "<b>Sex</b>",
    "<b>View</b>",
    "<b>Patient position</b>",
    "<b>ICU stay</b>",
    "<b>In-hospital mortality</b>",
  ]);
  assert.equal(f.data.length, 12);
  assert.deepEqual(
    f.data.slice(0, 2).map((t) => [t.type, t.name, t.showlegend]),
    [
      ["bar", "train", true],
      ["bar", "test", true],
    ],
  );
  assert.ok(f.data.slice(2).every((t) => t.showlegend === false));
  const trace = (feature: number, split: string) => f.data[feature * 2 + (split === "train" ? 0 : 1)];
  // Sex: train has 3 F and 3 M of 6 images; test 2 and 2 of 4.
  assert.deepEqual(trace(1, "train").x, ["F", "M"]);
  assert.deepEqual(trace(1, "train").y, [50, 50]);
  assert.deepEqual(trace(1, "train").customdata, [3, 3]);
  // View, most frequent first: PA 5, AP 4, LATERAL 1.
  assert.deepEqual(trace(2, "test").x, ["PA", "AP", "LATERAL"]);
  assert.deepEqual(trace(2, "test").y, [50, 50, 0]);
  // Position: the missing value is a category of its own, last.
  assert.deepEqual(trace(3, "train").x, ["Erect", "Recumbent", "missing"]);
  assert.deepEqual(trace(3, "train").customdata, [4, 1, 1]);
  // ICU: 0/1 shown as no/yes; train 2 of 6 = 33.333%.
  assert.deepEqual(trace(4, "train").x, ["no", "yes"]);
  assert.deepEqual(trace(4, "train").y, [66.667, 33.333]);
  // Age in 5-year bins from 45 to 85; the missing age is counted in the title, not in a bin.
  assert.equal(trace(0, "train").x && (trace(0, "train").x as string[])[0], "45–50");
  assert.equal((trace(0, "train").x as string[]).length, 8);
  assert.equal(
    (trace(0, "train").customdata as number[]).reduce((a, b) => a + b, 0),
    5,
  );
  assert.equal(axisTitle(f, "xaxis"), "age (years)");
  assert.equal(axisTitle(f, "yaxis"), "% of images in split");
  assert.equal(axisTitle(f, "yaxis4"), "% of images in split");
  assert.equal(f.layout.barmode, "group");
  noIds(f);
});

test("EHR distributions read an arquero table the same way, and counts on request", () => {
  const t = aq.from(rows);
  assert.deepEqual(ehrDistributions(t).data, ehrDistributions(rows).data);
  const counts = ehrDistributions(t, { normalize: "count", features: ["sex"] });
  assert.equal(counts.data.length, 2);
  assert.deepEqual(counts.data[0].y, [3, 3]);
  assert.equal(axisTitle(counts, "yaxis"), "images");
  const renamed = ehrDistributions(
    rows.map(({ view, ...r }) => ({ ...r, ViewPosition: view })),
    { columnNames: { view: "ViewPosition" }, features: ["view"] },
  );
  assert.deepEqual(renamed.data[0].x, ["PA", "AP", "LATERAL"]);
});

test("EHR distributions: bad values and missing columns raise InputError with row and column", () => {
  const bad = rows.map((r) => ({ ...r }));
  (bad[3] as Record<string, unknown>).age = "old";
  assert.throws(
    () => ehrDistributions(bad),
    (e: unknown) =>
      e instanceof InputError && /row 4/.test(e.message) && /column "age"/.test(e.message) && /"old"/.test(e.message),
  );
  const noIcu = rows.map(({ icu: _icu, ...r }) => r);
  assert.throws(
    () => ehrDistributions(noIcu),
    (e: unknown) => e instanceof InputError && /column "icu"/.test(e.message) && /split/.test(e.message),
  );
  (bad[3] as Record<string, unknown>).age = 50;
  (bad[5] as Record<string, unknown>).mortality = "maybe";
  assert.throws(
    () => ehrDistributions(bad),
    (e: unknown) => e instanceof InputError && /row 6/.test(e.message) && /mortality/.test(e.message),
  );
});

test("label prevalence: positives among known labels, uncertain ones counted apart", () => {
  const table = {
    split: ["train", "train", "train", "train", "test", "test"],
    Atelectasis: [1, 0, IGNORE_LABEL, 1, 0, 0],
    Edema: [0, 0, 0, 1, 1, 0],
  };
  const f = labelPrevalence(table);
  assert.deepEqual(
    f.data.map((t) => t.name),
    ["train", "test"],
  );
  const train = f.data[0];
  // Sorted by prevalence overall (Atelectasis 2/5, Edema 2/6), drawn top-down.
  assert.deepEqual(train.y, ["Edema", "Atelectasis"]);
  assert.deepEqual(train.x, [25, 66.667]);
  assert.deepEqual(train.customdata, [
    [1, 4, 0],
    [2, 3, 1],
  ]);
  assert.deepEqual(f.data[1].x, [50, 0]);
  assert.equal(axisTitle(f, "xaxis"), "% positive (of images with a known label)");
  // The same labels as a row-major matrix with the splits beside it.
  const m = labelPrevalence(
    { names: ["Atelectasis", "Edema"], values: Float32Array.from([1, 0, 0, 0, IGNORE_LABEL, 0, 1, 1, 0, 1, 0, 0]) },
    { splits: table.split },
  );
  assert.deepEqual(
    m.data.map((t) => t.x),
    f.data.map((t) => t.x),
  );
  const plain = labelPrevalence(
    { names: ["Atelectasis", "Edema"], values: [1, 0, 0, 0, IGNORE_LABEL, 0, 1, 1, 0, 1, 0, 0] },
    { splits: table.split },
  );
  assert.deepEqual(
    plain.data.map((t) => t.x),
    f.data.map((t) => t.x),
  );
  assert.throws(
    () => labelPrevalence({ Edema: [0, 2] }),
    (e: unknown) => e instanceof InputError && /row 2/.test(e.message) && /Edema/.test(e.message),
  );
});

test("ROC and PR points and areas match scikit-learn's roc_curve, roc_auc_score and average_precision_score", () => {
  // scikit-learn's documentation example: AUROC 0.75, AP 0.8333.
  const y = [0, 0, 1, 1],
    s = [0.1, 0.4, 0.35, 0.8];
  const roc = rocPoints(y, s);
  assert.deepEqual(roc.x, [0, 0, 0.5, 0.5, 1]);
  assert.deepEqual(roc.y, [0, 0.5, 0.5, 1, 1]);
  assert.equal(roc.area, 0.75);
  const pr = prPoints(y, s);
  assert.ok(Math.abs(pr.area - 0.8333333333333333) < 1e-12);
  assert.deepEqual(pr.x, [0, 0.5, 0.5, 1, 1]);
  assert.deepEqual(pr.y, [1, 1, 0.5, 2 / 3, 0.5]);
  // Tied scores form one threshold (a diagonal step); ignored rows are left out.
  const tied = rocPoints([1, 0, 1, 0, IGNORE_LABEL], [0.5, 0.5, 0.9, 0.1, 0.99]);
  assert.deepEqual(tied.x, [0, 0, 0.5, 1]);
  assert.deepEqual(tied.y, [0, 0.5, 1, 1]);
  assert.equal(tied.area, 0.875);
  assert.ok(Number.isNaN(rocPoints([1, 1], [0.2, 0.3]).area));
});

test("ROC curves per label: a panel per label, a line per model, linked legend, chance line", () => {
  const labels = ["Atelectasis", "Edema", "Fracture"];
  const yTrue = [
    [1, 0, 1],
    [0, 1, 1],
    [1, 1, 0],
    [0, 0, 1],
    [1, 0, IGNORE_LABEL],
  ];
  const a = {
    model: "Vanilla MSN",
    labels,
    yTrue,
    yScore: [
      [0.9, 0.2, 0.4],
      [0.1, 0.8, 0.3],
      [0.7, 0.6, 0.9],
      [0.3, 0.1, 0.2],
      [0.8, 0.3, 0.5],
    ],
  };
  const b = {
    model: "MSN+Age",
    labels,
    yTrue: Float32Array.from(yTrue.flat()),
    yScore: Float32Array.from(a.yScore.flat().map((v) => 1 - v)),
  };
  const f = rocCurves([a, b]);
  const lines = f.data.filter((t) => t.legendgroup !== "reference");
  assert.equal(lines.length, 6);
  assert.deepEqual(
    lines.map((t) => [t.name, t.xaxis]),
    [
      ["Vanilla MSN", "x"],
      ["MSN+Age", "x"],
      ["Vanilla MSN", "x2"],
      ["MSN+Age", "x2"],
      ["Vanilla MSN", "x3"],
      ["MSN+Age", "x3"],
    ],
  );
  assert.deepEqual(
    lines.map((t) => t.showlegend),
    [true, true, false, false, false, false],
  );
  assert.equal(lines[0].line && (lines[0].line as { color: string }).color, (lines[2].line as { color: string }).color);
  assert.match(String(lines[0].hovertemplate), /Atelectasis · Vanilla MSN.*AUROC 1\.000/);
  assert.match(String(lines[1].hovertemplate), /AUROC 0\.000/);
  assert.equal(f.data.filter((t) => t.legendgroup === "reference").length, 3);
  assert.deepEqual(
    annotationTexts(f),
    labels.map((l) => `<b>${l}</b>`),
  );
  assert.equal(axisTitle(f, "xaxis"), "False positive rate");
  assert.equal(axisTitle(f, "yaxis"), "True positive rate");
  const pr = prCurves(a);
  assert.equal(axisTitle(pr, "xaxis2"), "Recall");
  const prevalence = pr.data.find((t) => t.name === "prevalence" && t.xaxis === "x3") as Trace;
  assert.deepEqual(prevalence.y, [0.75, 0.75]);
  assert.throws(
    () => rocCurves({ labels, yTrue, yScore: [[0.1, 0.2]] }),
    (e: unknown) => e instanceof InputError && /row 1/.test(e.message) && /3 values/.test(e.message),
  );
});

test("forest plot: a panel per metric, intervals as error bars, the reference as a dashed line", () => {
  const f = forestPlot(
    [
      { model: "Vanilla MSN", metric: "AUROC", value: 0.708, lo: 0.704, hi: 0.711 },
      { model: "MSN+Age", metric: "AUROC", value: 0.728, lo: 0.724, hi: 0.731, significant: true },
      { model: "Vanilla MSN", metric: "AUPRC", value: 0.272, lo: 0.27, hi: 0.275 },
      { model: "MSN+Age", metric: "AUPRC", value: 0.29, lo: 0.288, hi: 0.293, significant: true },
    ],
    { reference: "Vanilla MSN" },
  );
  assert.equal(f.data.length, 4);
  const age = f.data[1];
  assert.deepEqual([age.x, age.y, age.xaxis], [[0.728], ["MSN+Age"], "x"]);
  const err = age.error_x as { array: number[]; arrayminus: number[] };
  assert.ok(Math.abs(err.array[0] - 0.003) < 1e-12 && Math.abs(err.arrayminus[0] - 0.004) < 1e-12);
  assert.equal((age.marker as { symbol: string }).symbol, "star");
  assert.match(String(age.hovertemplate), /0\.728 \(0\.724, 0\.731\) ★ significant/);
  const shapes = f.layout.shapes as { x0: number; xref: string }[];
  assert.deepEqual(
    shapes.map((s) => [s.xref, s.x0]),
    [
      ["x", 0.708],
      ["x2", 0.272],
    ],
  );
  assert.equal(axisTitle(f, "xaxis2"), "AUPRC (95% CI)");
  assert.deepEqual((f.layout.yaxis as { categoryarray: string[] }).categoryarray, ["MSN+Age", "Vanilla MSN"]);
  assert.throws(
    () => forestPlot([{ model: "a", metric: "AUROC", value: 0.8, lo: 0.81, hi: 0.9 }]),
    (e: unknown) => e instanceof InputError && /lo <= value <= hi/.test(e.message),
  );
});

test("Figure 3: three groups of four labels by model, linked colours and legends, no ids on hover", () => {
  const names = FIGURE3_GROUPS.flatMap((g) => g.labels);
  const n = 48;
  const labels = Array.from({ length: n }, (_, i) => (i % 16 < 12 ? names[i % 12] : null));
  const xy = (shift: number) =>
    Array.from({ length: n }, (_, i) => [Math.cos(i) * 10 + shift, Math.sin(i) * 10 - shift]);
  const hover = {
    subject_id: rows.map((r) => r.subject_id).concat(Array(n - 10).fill(1)),
    age: Array.from({ length: n }, (_, i) => 40 + i),
    dicom_id: Array.from({ length: n }, (_, i) => `dicom-${i}`),
  };
  const f = tsneFigure(
    {
      models: [
        { name: "Vanilla MSN", xy: xy(0) },
        { name: "MSN+Age", xy: Float64Array.from(xy(5).flat()) },
      ],
      labels,
    },
    { hover },
  );
  assert.equal(f.data.length, 3 * 2 * 4);
  assert.ok(f.data.every((t) => t.type === "scatter" && t.mode === "markers"));
  // Row r (group) x column c (model): panel r*2+c; labels of a group keep Figure 3's colour order.
  const panel = (r: number, c: number) => f.data.slice((r * 2 + c) * 4, (r * 2 + c) * 4 + 4);
  assert.deepEqual(
    panel(1, 1).map((t) => t.name),
    ["Pneumonia", "Edema", "Fracture", "Pneumothorax"],
  );
  assert.deepEqual(
    panel(1, 1).map((t) => (t.marker as { color: string }).color),
    ["#1f77b4", "#d62728", "#2ca02c", "#e3b505"],
  );
  assert.deepEqual(
    panel(2, 0).map((t) => t.legend),
    ["legend3", "legend3", "legend3", "legend3"],
  );
  assert.deepEqual(
    [...panel(0, 0), ...panel(0, 1)].map((t) => t.showlegend),
    [true, true, true, true, false, false, false, false],
  );
  assert.deepEqual(
    panel(0, 1).map((t) => t.legendgroup),
    FIGURE3_GROUPS[0].labels,
  );
  assert.deepEqual(panel(1, 1)[0].xaxis, "x4");
  // 48 points: i % 16 < 12 carries a label, 3 of each; null labels are not drawn.
  assert.ok(f.data.every((t) => (t.x as number[]).length === 3));
  assert.deepEqual((panel(0, 1)[0].x as number[])[0], 15);
  assert.equal((f.layout.xaxis2 as { matches?: string }).matches, undefined);
  assert.equal((f.layout.xaxis3 as { matches: string }).matches, "x");
  assert.equal((f.layout.xaxis4 as { matches: string }).matches, "x2");
  assert.equal(axisTitle(f, "xaxis5"), "t-SNE 1");
  assert.equal(axisTitle(f, "yaxis3"), "t-SNE 2");
  assert.equal(axisTitle(f, "xaxis"), undefined);
  assert.deepEqual(
    Object.keys(f.layout).filter((k) => k.startsWith("legend")),
    ["legend", "legend2", "legend3"],
  );
  assert.match(annotationTexts(f)[0], /Vanilla MSN · top-4 \(n = 12\)/);
  // Hover: label and age only; the identifier columns are dropped.
  assert.equal(f.data[0].hovertemplate, "<b>Lung Opacity</b><br>age: %{customdata[0]}<extra>Vanilla MSN</extra>");
  assert.deepEqual(f.data[0].customdata, [[40], [64], [76]]);
  const json = JSON.stringify(f);
  assert.ok(!json.includes("dicom") && !json.includes("subject") && !json.includes("10000032"));
  // Asked for, ids are shown.
  const withIds = tsneFigure({ models: [{ name: "m", xy: xy(0) }], labels }, { hover, showIds: true });
  assert.match(
    String(withIds.data[0].hovertemplate),
    /subject_id: %\{customdata\[0\]\}.*dicom_id: %\{customdata\[2\]\}/,
  );
  // Many points switch to WebGL markers.
  assert.equal(tsneFigure({ models: [{ name: "m", xy: xy(0) }], labels }, { webgl: true }).data[0].type, "scattergl");
  assert.throws(
    () => tsneFigure({ models: [{ name: "m", xy: xy(0).slice(1) }], labels }),
    (e: unknown) => e instanceof InputError && /48 points/.test(e.message),
  );
});

test("single labels: exactly one positive among the labels considered", () => {
  const m = { names: ["A", "B", "C"], values: [1, 0, 0, 1, 1, 0, 0, 0, 0, 0, IGNORE_LABEL, 1] };
  assert.deepEqual(singleLabels(m), ["A", null, null, "C"]);
  assert.deepEqual(singleLabels(m, ["B", "C"]), [null, "B", null, "C"]);
  const f = embeddingScatter(
    [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ],
    m,
  );
  assert.deepEqual(
    f.data.map((t) => [t.name, t.x]),
    [
      ["A", [0]],
      ["C", [3]],
    ],
  );
  assert.match(String((f.layout.title as { text: string }).text), /2 points without a single label not drawn/);
});

test("training curves grow, group metrics into panels, and tell subscribers", () => {
  const c = trainingCurves({ title: "pretraining", panels: [["train loss", "val loss"]] });
  const seen: number[] = [];
  const stop = c.subscribe((x) => seen.push(x.metrics().length));
  c.append(1, { "train loss": 6.9, lr: 1e-4 }).append(2, { "train loss": 6.5, lr: 2e-4 });
  c.append(2, { "val loss": 6.7 });
  stop();
  c.append(3, { "train loss": 6.1 });
  assert.deepEqual(seen, [2, 2, 3]);
  const f = c.figure();
  assert.deepEqual(
    f.data.map((t) => [t.name, t.yaxis, t.x, t.y]),
    [
      ["train loss", "y", [1, 2, 3], [6.9, 6.5, 6.1]],
      ["val loss", "y", [2], [6.7]],
      ["lr", "y2", [1, 2], [1e-4, 2e-4]],
    ],
  );
  assert.equal(f.data[1].mode, "markers");
  assert.equal(axisTitle(f, "xaxis2"), "step");
  assert.equal((f.layout.xaxis2 as { matches: string }).matches, "x");
  assert.equal((f.layout.title as { text: string }).text, "pretraining");
  assert.equal(
    c.finish().figure().layout.title && (c.figure().layout.title as { text: string }).text,
    "pretraining (finished)",
  );
  assert.equal(c.last("train loss"), 6.1);
  assert.throws(() => c.append(Number.NaN, { x: 1 }), InputError);
});

test("training curves without a point say why instead of drawing bare axes", () => {
  const c = trainingCurves({ title: "pretraining", panels: [["loss"]] });
  const note = (f: ReturnType<typeof c.figure>) =>
    (f.layout.annotations as { text: string }[]).map((a) => a.text).filter((t) => !t.includes("<b>"));
  assert.deepEqual(note(c.figure()), ["waiting for the first step"]);
  assert.deepEqual(note(c.finish().figure()), ["no steps were run"]);
  assert.equal((c.figure().layout.xaxis as { visible: boolean }).visible, false);
  assert.deepEqual(note(trainingCurves().append(1, { loss: 2 }).figure()), []);
});
