import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as viz from "../../src/viz";
import { LEGEND } from "../../src/viz/figure";
import type { Figure } from "../../src/viz/figure";

/** Every figure builder of the viz namespace, each called on a small input. */
const labels = ["Edema", "Cardiomegaly"];
const scored = {
  model: "MSN",
  labels,
  yTrue: [1, 0, 0, 1, 1, 1, 0, 0],
  yScore: [0.9, 0.2, 0.3, 0.8, 0.6, 0.7, 0.1, 0.4],
};
const builders: Record<string, () => Figure> = {
  ehrDistributions: () =>
    viz.ehrDistributions([
      { split: "train", age: 50, sex: "F", view: "PA", position: "Erect", icu: 0, mortality: 0 },
      { split: "test", age: 70, sex: "M", view: "AP", position: "Supine", icu: 1, mortality: 1 },
    ]),
  labelPrevalence: () => viz.labelPrevalence({ names: labels, values: [1, 0, 0, 1] }),
  heatmap: () => viz.heatmap({ label: ["a", "b"], a: [1, 2], b: [2, 1] }),
  rocCurves: () => viz.rocCurves(scored),
  prCurves: () => viz.prCurves(scored),
  forestPlot: () => viz.forestPlot([{ model: "MSN", metric: "AUROC", value: 0.7, lo: 0.6, hi: 0.8 }]),
  embeddingScatter: () =>
    viz.embeddingScatter(
      [
        [0, 0],
        [1, 1],
        [2, 0],
      ],
      ["Edema", "Edema", "Cardiomegaly"],
    ),
  tsneFigure: () =>
    viz.tsneFigure({
      models: [
        {
          name: "MSN",
          xy: [
            [0, 0],
            [1, 1],
            [2, 0],
          ],
        },
      ],
      labels: ["Edema", "Cardiomegaly", null],
    }),
  trainingCurves: () => viz.trainingCurves({ title: "loss" }).append(1, { loss: 1 }).append(2, { loss: 0.5 }).figure(),
};
/** Exports of the namespace that build no figure. */
const notBuilders = ["isFigure", "rocPoints", "prPoints", "singleLabels", "TrainingCurves"];

const placement = (legend: Record<string, unknown>) =>
  Object.fromEntries(Object.keys(LEGEND).map((k) => [k, legend[k]]));

test("every figure builder is checked below", () => {
  const exported = Object.entries(viz)
    .filter(([, v]) => typeof v === "function")
    .map(([k]) => k)
    .filter((k) => !notBuilders.includes(k));
  assert.deepEqual(exported.sort(), Object.keys(builders).sort());
});

for (const [name, build] of Object.entries(builders)) {
  test(`${name}: its legend sits where LEGEND puts it, clear of the modebar (top right)`, () => {
    const layout = build().layout;
    const legend = layout.legend as Record<string, unknown>;
    if (name === "tsneFigure") {
      // Figure 3 keeps a legend beside each row of panels (its label group): each starts at the top of
      // its row, inside the plot area's height, so never in the top margin where the modebar is.
      const legends = Object.keys(layout).filter((k) => /^legend\d*$/.test(k));
      assert.ok(legends.length >= 1);
      for (const k of legends) {
        const l = layout[k] as Record<string, unknown>;
        assert.ok(l.yref === undefined || l.yref === "paper", `${k}: paper coordinates`);
        assert.ok(
          Number(l.y) <= 1 && l.yanchor === "top",
          `${k} starts below the plot area's top: ${JSON.stringify(l)}`,
        );
      }
      return;
    }
    assert.deepEqual(placement(legend), { ...LEGEND });
  });
}
