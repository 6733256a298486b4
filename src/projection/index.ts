/**
 * Projections of embeddings to two dimensions and how faithful they are: t-SNE (scikit-learn's schedule,
 * Barnes-Hut on worker threads), UMAP (umap-js), PCA, exact nearest neighbours on the TensorFlow.js
 * backend, trustworthiness. Points come in as rows, a flat array with its `dims`, or a `Matrix`; the
 * figures of the results are built in `viz`.
 */
export { tsne, runTsne } from "./tsne";
export type { TsneOptions, TsneResult } from "./tsne";
export { umap } from "./umap";
export type { UmapOptions } from "./umap";
export { trustworthiness } from "./trustworthiness";
export { nearestNeighbors } from "./neighbors";
export type { Neighbors, NeighborOptions } from "./neighbors";
export { pcaProject } from "./pca";
export { toPoints } from "./points";
export type { PointsInput } from "./points";
