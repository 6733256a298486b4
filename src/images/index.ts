/** Images: decoding, the resize cache, MSN and evaluation views as tensors, the batch loader. */
export { buildCache, openCache, datasetImages } from "./cache";
export { datasetCache } from "./datasetCache";
export type { DatasetCacheOptions } from "./datasetCache";
export { msnViews, evalViews, probeTrainViews, normalization, IMAGENET_STATS, AUTHORS_EVAL_STATS } from "./views";
export { loader, patientSubset } from "./loader";
export type * from "./types";
