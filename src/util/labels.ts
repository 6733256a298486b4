/**
 * Label vocabularies shared by the synthetic generator, the cohort readers and evaluation.
 */

/** The 14 CheXpert labels of MIMIC-CXR-JPG, in the authors' (alphabetical) order. */
export const CHEXPERT_LABELS = [
  "Atelectasis",
  "Cardiomegaly",
  "Consolidation",
  "Edema",
  "Enlarged Cardiomediastinum",
  "Fracture",
  "Lung Lesion",
  "Lung Opacity",
  "No Finding",
  "Pleural Effusion",
  "Pleural Other",
  "Pneumonia",
  "Pneumothorax",
  "Support Devices",
] as const;
export type ChexpertLabel = (typeof CHEXPERT_LABELS)[number];

/** The 14 findings of NIH ChestX-ray14 (`Finding Labels` of Data_Entry_2017.csv), in its usual order. */
export const NIH_LABELS = [
  "Atelectasis",
  "Cardiomegaly",
  "Effusion",
  "Infiltration",
  "Mass",
  "Nodule",
  "Pneumonia",
  "Pneumothorax",
  "Consolidation",
  "Edema",
  "Emphysema",
  "Fibrosis",
  "Pleural_Thickening",
  "Hernia",
] as const;
export type NihLabel = (typeof NIH_LABELS)[number];

/**
 * Value of a label that must be ignored by losses and metrics (an uncertain CheXpert label under the
 * `ignore` policy). Label matrices are Float32Array rows of 0, 1 or IGNORE_LABEL.
 */
export const IGNORE_LABEL = -1;
