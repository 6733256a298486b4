/**
 * How the synthetic findings depend on the EHR: the one place that holds the numbers
 * (docs/synthetic-cohort.md describes the whole generator and says this in words).
 *
 * Each of the 13 pathologies of a study is present with probability
 * `sigmoid(bias + sum of coefficient x predictor)`, with the predictors of the study:
 *
 * | predictor   | meaning                                                                   |
 * |-------------|---------------------------------------------------------------------------|
 * | `age`       | (age at the study - 60) / 15                                               |
 * | `male`      | 1 for a male patient                                                       |
 * | `inpatient` | the study lies in a hospital admission (by date)                           |
 * | `icu`       | the study lies in an ICU stay (by date): the cohort's `icu`                |
 * | `died`      | the admission that holds the study ended in death: the cohort's `mortality` |
 * | `portable`  | a portable AP study (its frontal image is AP)                              |
 * | `recumbent` | the frontal image was taken lying down                                     |
 * | `frailty`   | a per-patient N(0, 1) chronic-disease factor, shared by all its studies    |
 *
 * So AP / recumbent / ICU studies carry more support devices, effusion, edema and atelectasis, age raises
 * cardiomegaly and enlarged cardiomediastinum, and a patient's heart findings persist across studies.
 * A present finding is written 1.0, or -1.0 (uncertain) with probability `uncertain`; an absent one is
 * written 0.0 (explicitly negative) with probability `negative`, else left blank, and is written
 * -1.0 with probability 0.003. "No Finding" is 1.0 when no pathology other than Support Devices is
 * 1.0 or -1.0, blank otherwise (as the CheXpert labeler does). The biases are tuned so that the
 * prevalences come close to MIMIC-CXR's (the `target` column, fraction of studies labelled 1.0).
 */
import type { ChexpertLabel } from "../util/labels";

export const PREDICTORS = ["age", "male", "inpatient", "icu", "died", "portable", "recumbent", "frailty"] as const;
export type Predictor = (typeof PREDICTORS)[number];

export interface FindingModel {
  label: Exclude<ChexpertLabel, "No Finding">;
  bias: number;
  coef: Partial<Record<Predictor, number>>;
  /** P(written -1.0 | present). */
  uncertain: number;
  /** P(written 0.0 | absent). */
  negative: number;
  /** MIMIC-CXR's fraction of studies labelled 1.0 (for reference and the tuning test). */
  target: number;
}

export const FINDINGS: readonly FindingModel[] = [
  {
    label: "Atelectasis",
    bias: -1.9,
    coef: { age: 0.3, inpatient: 0.3, icu: 0.8, recumbent: 0.5 },
    uncertain: 0.2,
    negative: 0.05,
    target: 0.2,
  },
  {
    label: "Cardiomegaly",
    bias: -1.95,
    coef: { age: 0.6, male: 0.2, portable: 0.3, frailty: 0.9 },
    uncertain: 0.1,
    negative: 0.1,
    target: 0.2,
  },
  {
    label: "Consolidation",
    bias: -3.15,
    coef: { icu: 0.8, died: 0.6, inpatient: 0.3 },
    uncertain: 0.3,
    negative: 0.15,
    target: 0.047,
  },
  {
    label: "Edema",
    bias: -2.3,
    coef: { age: 0.3, icu: 0.9, died: 0.7, recumbent: 0.3, frailty: 0.6 },
    uncertain: 0.3,
    negative: 0.15,
    target: 0.12,
  },
  {
    label: "Enlarged Cardiomediastinum",
    bias: -3.5,
    coef: { age: 0.3, portable: 0.6, frailty: 0.5 },
    uncertain: 0.4,
    negative: 0.05,
    target: 0.031,
  },
  { label: "Fracture", bias: -3.7, coef: { age: 0.4, male: -0.2 }, uncertain: 0.2, negative: 0.01, target: 0.019 },
  { label: "Lung Lesion", bias: -3.75, coef: { age: 0.5, male: 0.2 }, uncertain: 0.2, negative: 0.01, target: 0.028 },
  {
    label: "Lung Opacity",
    bias: -1.75,
    coef: { age: 0.2, inpatient: 0.4, icu: 0.7, died: 0.5 },
    uncertain: 0.05,
    negative: 0.02,
    target: 0.225,
  },
  {
    label: "Pleural Effusion",
    bias: -2.0,
    coef: { age: 0.35, inpatient: 0.4, icu: 0.9, died: 0.6, portable: 0.4, frailty: 0.5 },
    uncertain: 0.15,
    negative: 0.25,
    target: 0.237,
  },
  { label: "Pleural Other", bias: -4.5, coef: { age: 0.2 }, uncertain: 0.3, negative: 0.01, target: 0.008 },
  {
    label: "Pneumonia",
    bias: -2.4,
    coef: { age: 0.2, inpatient: 0.5, icu: 0.4 },
    uncertain: 0.5,
    negative: 0.2,
    target: 0.07,
  },
  {
    label: "Pneumothorax",
    bias: -3.6,
    coef: { age: -0.3, male: 0.3, icu: 1.0 },
    uncertain: 0.1,
    negative: 0.3,
    target: 0.046,
  },
  {
    label: "Support Devices",
    bias: -3.25,
    coef: { inpatient: 0.8, icu: 2.5, portable: 1.0, recumbent: 0.5, died: 0.5 },
    uncertain: 0.02,
    negative: 0.01,
    target: 0.29,
  },
];

/** The state of a study that its findings depend on. */
export type StudyState = Record<Predictor, number>;

/** Probability that `finding` is present in a study in `state`. */
export function findingProbability(finding: FindingModel, state: StudyState): number {
  let z = finding.bias;
  for (const p of PREDICTORS) z += (finding.coef[p] ?? 0) * state[p];
  return 1 / (1 + Math.exp(-z));
}
