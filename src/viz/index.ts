/**
 * Figures (Plotly JSON built from plain data) and projections (t-SNE, UMAP).
 * Nothing here imports the cohort or later layers: builders take rows, columns or arquero/danfo
 * tables with the fields they need.
 */
export type { Figure, Trace, Panel } from "./figure";
export { isFigure, GROUP_COLORS, SPLIT_COLORS } from "./figure";
export type { TableInput, ArqueroLike, DanfoLike } from "./table";
export { ehrDistributions, EHR_FEATURES } from "./ehr";
export type { EhrRow, EhrFeature, EhrDistributionOptions } from "./ehr";
export { labelPrevalence } from "./prevalence";
export type { LabelMatrix, PrevalenceOptions } from "./prevalence";
export { rocCurves, prCurves, rocPoints, prPoints } from "./curves";
export type { ScoredLabels, CurveOptions, CurvePoints } from "./curves";
export { forestPlot } from "./forest";
export type { ForestRow, ForestOptions } from "./forest";
export { embeddingScatter, tsneFigure, singleLabels, FIGURE3_GROUPS } from "./scatter";
export type { LabelGroup, XY, ScatterOptions, TsneFigureInput, TsneFigureOptions } from "./scatter";
export { TrainingCurves, trainingCurves } from "./training";
export type { TrainingCurvesOptions } from "./training";
export { tsne, runTsne } from "./tsne";
export type { TsneOptions, TsneResult } from "./tsne";
export { umap } from "./umap";
export type { UmapOptions } from "./umap";
export { trustworthiness } from "./quality";
export type { PointsInput } from "./points";
