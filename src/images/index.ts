/** Images: decoding, the resize cache, MSN and evaluation views as tensors, the batch loader. */
export { buildCache, openCache, datasetImages, findInCache } from "./cache";
export { datasetCache } from "./datasetCache";
export type { DatasetCacheOptions } from "./datasetCache";
export { resizedSize } from "./decode";
export { randomResizedCropBox, randomAffineParams, centreCropOffset, pyRound } from "./crops";
export type { CropBox, AffineParams } from "./crops";
export {
  msnViews,
  evalViews,
  probeTrainViews,
  resizedCrops,
  affineCrops,
  normalization,
  IMAGENET_STATS,
  AUTHORS_EVAL_STATS,
} from "./views";
export type { Crop } from "./views";
export { loader, patientSubset } from "./loader";
export type * from "./types";
