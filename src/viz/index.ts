/**
 * Figure builders: plain data in (rows, columns, arquero/danfo tables), Plotly figure JSON out; no
 * tensors, no threads. Projections (t-SNE, UMAP) live in `projection`. Nothing here imports the cohort
 * or later layers.
 */
export type { Figure, Trace, Panel } from "./figure";
export { isFigure, GROUP_COLORS, SPLIT_COLORS, LEGEND } from "./figure";
export type { TableInput, ArqueroLike, DanfoLike } from "./table";
export { ehrDistributions, EHR_FEATURES } from "./ehr";
export type { EhrRow, EhrFeature, EhrDistributionOptions } from "./ehr";
export { labelPrevalence } from "./prevalence";
export { heatmap } from "./heatmap";
export type { HeatmapOptions } from "./heatmap";
export type { LabelMatrix, PrevalenceOptions } from "./prevalence";
export { rocCurves, prCurves, rocPoints, prPoints } from "./curves";
export type { ScoredLabels, CurveOptions, CurvePoints } from "./curves";
export { forestPlot } from "./forestPlot";
export type { ForestRow, ForestOptions } from "./forestPlot";
export { embeddingScatter, tsneFigure, singleLabels, FIGURE3_GROUPS } from "./scatter";
export type { LabelGroup, XY, ScatterOptions, TsneFigureInput, TsneFigureOptions } from "./scatter";
export { TrainingCurves, trainingCurves } from "./training";
export type { TrainingCurvesOptions } from "./training";
