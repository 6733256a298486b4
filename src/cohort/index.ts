/**
 * The cohort: MIMIC-CXR-JPG images with CheXpert labels, splits and MIMIC-IV EHR features
 * (`build`), and the external validation sets (`chexpert`, `nih`).
 */
export { build } from "./build";
export { chexpert, nih } from "./external";
export { LabelledTable, MimicCohort, toDanfo } from "./dataset";
export {
  FEATURE_SETS,
  FEATURE_BLOCKS,
  AGE5,
  AGE10,
  VIEWS,
  POSITIONS,
  AUTHORS_AGE_BOUNDS,
  resolveFeatures,
  featureColumns,
  encodeFeatures,
} from "./features";
export * from "./types";
