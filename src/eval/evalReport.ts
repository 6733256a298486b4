/**
 * What every evaluation returns (linear probe, fine-tuning, external validation): per-label and
 * macro AUROC / AUPRC with bootstrap CIs, the test labels and scores (for `compare` and tables),
 * and a per-label table.
 */
import { bootstrapCi, type BootstrapOptions, type BootstrapResult, type Interval } from "./bootstrap";
import type { NamedMatrix } from "../util/matrix";
import { labelResult, type LabelResult } from "./labelResult";
import { labelTable, type ResultsTable } from "./table";

export interface EvalReport {
  macro: { auroc: Interval; auprc: Interval };
  perLabel: BootstrapResult["perLabel"];
  /** The full bootstrap result (resample values, labels left out, settings). */
  ci: BootstrapResult;
  /** Test labels and sigmoid scores, row-major, in the order of the test rows. */
  test: { yTrue: NamedMatrix<ArrayLike<number>>; yScore: NamedMatrix };
  /** Per-label table with the macro row, in the paper's format. */
  table(): ResultsTable;
  /** One label's AUROC / AUPRC with intervals and its test labels and scores: `r.label("Edema")`. */
  label(name: string): LabelResult;
}

/** Bootstraps the test predictions and packs them into an `EvalReport`. */
export function evalReport(
  yTrue: NamedMatrix<ArrayLike<number>>,
  scores: Float32Array,
  opts: BootstrapOptions = {},
): EvalReport {
  const yScore = { rows: yTrue.rows, cols: yTrue.cols, names: yTrue.names, values: scores };
  const ci = bootstrapCi(yTrue, yScore, opts);
  return {
    macro: { auroc: ci.auroc, auprc: ci.auprc },
    perLabel: ci.perLabel,
    ci,
    test: { yTrue, yScore },
    table: () => labelTable(ci),
    label: (name) =>
      labelResult({ perLabel: ci.perLabel, names: yTrue.names, yTrue: yTrue.values, yScore: scores }, name),
  };
}
