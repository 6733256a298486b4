/**
 * External validation (paper §5.2, Table 4): a linear probe trained on MIMIC-CXR applied as it is to
 * another dataset (CheXpert: the authors' notebook tests the MIMIC-trained head there, no CheXpert
 * training). Labels are matched by name; a label of the head that the dataset lacks is left out and
 * named. For NIH-14, whose labels differ, the paper trains a new probe: `probe({ cohort: nih, ... })`.
 */
import type { LabelledDataset, SplitSelector } from "../cohort/types";
import { InputError } from "../util/errors";
import type { BootstrapOptions } from "./bootstrap";
import type { HeadWeights } from "./head";
import { applyHead, embedSplit, type EmbedSource } from "./probe";
import { evalReport, type EvalReport } from "./evalReport";

export interface ExternalOptions extends EmbedSource, BootstrapOptions {
  /** The trained head, e.g. `probeResult.head` of a MIMIC-CXR probe with the same encoder. */
  head: HeadWeights;
  /** The external dataset (`cohort.chexpert({ dir })`). */
  dataset: LabelledDataset;
  /** Split evaluated (default "test"). */
  split?: SplitSelector;
}

export interface ExternalResult extends EvalReport {
  /** Labels evaluated (the head's labels that the dataset has), in the head's order. */
  labels: string[];
  /** Head labels the dataset does not have. */
  unmatched: string[];
  /** Rows of the split, and those left out because their image is not in the cache. */
  rows: number;
  missing: number;
}

/** Applies a trained head to another dataset's images and reports AUROC / AUPRC with bootstrap CIs. */
export async function externalValidation(opts: ExternalOptions): Promise<ExternalResult> {
  const { head, dataset } = opts;
  if (head.dim !== opts.encoder.dim) {
    throw new InputError({
      field: "head",
      expected: `a head on ${opts.encoder.dim}-dimensional embeddings (the encoder's)`,
      found: `${head.dim} dimensions`,
    });
  }
  const matched = head.names
    .map((name, j) => ({ name, j, col: dataset.labelNames.indexOf(name) }))
    .filter((m) => m.col >= 0);
  const unmatched = head.names.filter((n) => !dataset.labelNames.includes(n));
  if (matched.length === 0) {
    throw new InputError({
      field: "dataset",
      expected: `labels of the head (${head.names.join(", ")})`,
      found: `none of them (${dataset.labelNames.join(", ")})`,
    });
  }
  if (unmatched.length > 0 && !opts.quiet)
    console.warn(
      `ehr-msn: ${unmatched.length} label(s) of the head are not in the dataset and are left out: ${unmatched.join(", ")}`,
    );
  const { rows, x } = await embedSplit(opts, dataset, opts.split ?? "test");
  const all = await applyHead(head, x);
  const K = head.names.length;
  const k = matched.length;
  const kd = dataset.labelNames.length;
  const scores = new Float32Array(x.n * k);
  const labels = new Float32Array(x.n * k);
  for (let i = 0; i < x.n; i++) {
    matched.forEach((m, c) => {
      scores[i * k + c] = all[i * K + m.j];
      labels[i * k + c] = rows.labels.values[i * kd + m.col];
    });
  }
  const names = matched.map((m) => m.name);
  return {
    ...evalReport({ rows: x.n, cols: k, names, values: labels }, scores, opts),
    labels: names,
    unmatched,
    rows: rows.rows,
    missing: rows.missing,
  };
}
