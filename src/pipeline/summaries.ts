/** What the stages of a study keep in its run folder, read back by later stages and the report. */
import type { Interval } from "../eval/bootstrap";
import type { LabelResult } from "../eval/labelResult";
import type { ProbeChoice } from "../eval/probe";

/** What a probe leaves for the later stages (table, tests, figures); kept as probe.json. */
export interface ProbeSummary {
  model: string;
  /** The encoder's fingerprint and the probe settings: a probe of other weights or settings is never reused. */
  encoder: string;
  settings: string;
  chosen: ProbeChoice;
  macro: { auroc: Interval; auprc: Interval };
  perLabel: { name: string; auroc: Interval | null; auprc: Interval | null; positives: number; negatives: number }[];
  test: { names: string[]; yTrue: number[]; yScore: number[] };
  /** The trained linear head (applied as it is to CheXpert by `external`). */
  head: { names: string[]; dim: number; weight: number[]; bias: number[] };
}

/** A probe as `Study.probe` hands it out: the stored summary, and one label of it with `label("Edema")`. */
export interface StudyProbe extends ProbeSummary {
  label(name: string): LabelResult;
}

/** An external validation of a model (the paper's Table 4); kept as models/<name>/external-<dataset>.json. */
export interface ExternalSummary {
  model: string;
  dataset: ExternalDataset;
  /** What was done: the MIMIC-trained probe applied (CheXpert) or a probe trained on the dataset (NIH-14). */
  protocol: string;
  /** Encoder fingerprint, folder and settings: a result of other weights, data or settings is never reused. */
  encoder: string;
  settings: string;
  /** Test images evaluated, and those left out because their image could not be read. */
  images: number;
  missing: number;
  /** Labels of the MIMIC head the dataset lacks (CheXpert), left out. */
  unmatched: string[];
  macro: { auroc: Interval; auprc: Interval };
  test: { names: string[]; yTrue: number[]; yScore: number[] };
}

export type ExternalDataset = "chexpert" | "nih";
/** Display names of the external datasets. */
export const EXTERNAL_NAMES: Record<ExternalDataset, string> = { chexpert: "CheXpert", nih: "NIH-14" };
