/** Every figure builder of the viz namespace, each called on a small input (for the layout tests). */
import * as viz from "../../src/viz";
import type { Figure } from "../../src/viz/figure";

const labels = ["Edema", "Cardiomegaly"];
const scored = {
  model: "MSN",
  labels,
  yTrue: [1, 0, 0, 1, 1, 1, 0, 0],
  yScore: [0.9, 0.2, 0.3, 0.8, 0.6, 0.7, 0.1, 0.4],
};
export const builders: Record<string, () => Figure> = {
  ehrDistributions: () =>
    viz.ehrDistributions([
      { split: "train", age: 50, sex: "F", view: "PA", position: "Erect", icu: 0, mortality: 0 },
      { split: "test", age: 70, sex: "M", view: "AP", position: "Supine", icu: 1, mortality: 1 },
    ]),
  labelPrevalence: () =>
    viz.labelPrevalence({ split: ["train", "test", "train", "test"], Edema: [1, 0, 0, 1], Cardiomegaly: [0, 1, 1, 1] }),
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
  trainingCurves: () =>
    viz
      .trainingCurves({ title: "loss", panels: [["MSN", "MSN+age"]] })
      .append(1, { MSN: 1, "MSN+age": 1.1 })
      .append(2, { MSN: 0.5, "MSN+age": 0.6 })
      .figure(),
};
/** Exports of the namespace that build no figure. */
export const notBuilders = ["isFigure", "rocPoints", "prPoints", "singleLabels", "TrainingCurves"];
