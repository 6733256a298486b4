/**
 * One label of an evaluated result: `result.label("Edema")` on a probe, an external validation, a
 * fine-tuning run or a study's stored probe gives that label's AUROC and AUPRC with their intervals
 * and its column of the test labels and scores, so that a notebook never indexes row-major matrices.
 */
import { InputError, describeValue } from "../util/errors";
import type { BootstrapResult, Interval } from "./bootstrap";

/** A label's metrics with 95% intervals (null when the test set lacks one of its classes) and its test column. */
export interface LabelResult {
  name: string;
  auroc: Interval | null;
  auprc: Interval | null;
  positives: number;
  negatives: number;
  /** 0, 1 or IGNORE_LABEL per test row, in the order of the test rows (the same rows for every model). */
  yTrue: number[];
  /** The model's score per test row. */
  yScore: number[];
}

/** What `label` reads: the per-label intervals, and the test labels and scores as row-major values. */
export interface LabelSource {
  perLabel: BootstrapResult["perLabel"];
  names: readonly string[];
  yTrue: ArrayLike<number>;
  yScore: ArrayLike<number>;
}

/** Label `name` of `r`; an unknown name is an InputError listing the labels. */
export function labelResult(r: LabelSource, name: string): LabelResult {
  const j = r.names.indexOf(name);
  const metrics = r.perLabel.find((l) => l.name === name);
  if (j < 0 || !metrics)
    throw new InputError({ field: "label", expected: `one of ${r.names.join(", ")}`, found: describeValue(name) });
  const k = r.names.length;
  const column = (values: ArrayLike<number>) => Array.from({ length: values.length / k }, (_, i) => values[i * k + j]);
  return { ...metrics, yTrue: column(r.yTrue), yScore: column(r.yScore) };
}
