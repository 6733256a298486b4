/**
 * AUROC and AUPRC (average precision), per label and macro-averaged, equal to scikit-learn's
 * `roc_auc_score` and `average_precision_score` (ties included). Entries labelled IGNORE_LABEL are
 * masked; a label without a positive or without a negative is left out of the macro average with a
 * warning (scikit-learn would raise), never turned into NaN.
 */
import { InputError, describeValue } from "../util/errors";
import type { NamedMatrix } from "../util/matrix";
import { checkPair, column, type MatrixLike } from "./matrix";
import { rankLabel, sweep, type RankedLabel } from "./ranking";

/** One label's figures on an evaluated set. */
export interface LabelMetrics {
  name: string;
  /** null when the label has no positive or no negative here (left out of the macro average). */
  auroc: number | null;
  auprc: number | null;
  positives: number;
  negatives: number;
  /** Entries labelled IGNORE_LABEL, masked. */
  ignored: number;
}

/** Per-label and macro figures of one evaluated set. */
export interface Evaluation {
  perLabel: LabelMetrics[];
  /** Unweighted mean over the labels that have both classes. */
  macroAuroc: number;
  macroAuprc: number;
  /** Labels left out of the macro averages, and why. */
  leftOut: { name: string; reason: string }[];
}

export interface MetricOptions {
  /** Do not print the warning about labels left out of the macro average. */
  quiet?: boolean;
}

/** A label and score matrix after the checks, with every label ranked once. */
export interface RankedSet {
  y: NamedMatrix<ArrayLike<number>>;
  s: NamedMatrix<ArrayLike<number>>;
  ranked: RankedLabel[];
}

/** Checks the pair (InputError on bad input) and ranks every label. */
export function rankSet(yTrue: MatrixLike, yScore: MatrixLike, prefix = ""): RankedSet {
  const { y, s } = checkPair(yTrue, yScore, prefix);
  const ranked = Array.from({ length: y.cols }, (_, j) => rankLabel(column(y, j), column(s, j)));
  return { y, s, ranked };
}

/** Why a label cannot be evaluated, or undefined when it can. */
export function missingClass(r: { positives: number; negatives: number }): string | undefined {
  if (r.positives === 0 && r.negatives === 0) return "every entry ignored";
  if (r.positives === 0) return "no positive";
  if (r.negatives === 0) return "no negative";
  return undefined;
}

/** Per-label AUROC / AUPRC and their macro averages (see `Evaluation`). */
export function evaluate(yTrue: MatrixLike, yScore: MatrixLike, opts: MetricOptions = {}): Evaluation {
  return evaluateRanked(rankSet(yTrue, yScore), opts);
}

/** `evaluate` on a set that is already ranked. */
export function evaluateRanked(set: RankedSet, opts: MetricOptions = {}): Evaluation {
  const perLabel: LabelMetrics[] = [];
  const leftOut: Evaluation["leftOut"] = [];
  set.ranked.forEach((r, j) => {
    const name = set.y.names[j];
    const reason = missingClass(r);
    if (reason) leftOut.push({ name, reason });
    const m = reason ? undefined : sweep(r);
    perLabel.push({
      name,
      auroc: m ? m.auroc : null,
      auprc: m ? m.auprc : null,
      positives: r.positives,
      negatives: r.negatives,
      ignored: r.ignored,
    });
  });
  const kept = perLabel.filter((m) => m.auroc !== null);
  if (kept.length === 0) {
    throw new InputError({
      field: "yTrue",
      expected: "at least one label with both a positive and a negative",
      found: leftOut.map((l) => `${l.name}: ${l.reason}`).join("; "),
    });
  }
  if (leftOut.length > 0 && !opts.quiet) {
    console.warn(
      `ehr-msn: ${leftOut.length} label(s) left out of the macro average: ${leftOut.map((l) => `${l.name} (${l.reason})`).join(", ")}`,
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    perLabel,
    macroAuroc: mean(kept.map((m) => m.auroc as number)),
    macroAuprc: mean(kept.map((m) => m.auprc as number)),
    leftOut,
  };
}

/** Macro AUROC over the labels that have both classes (see `evaluate`). */
export function macroAuroc(yTrue: MatrixLike, yScore: MatrixLike, opts: MetricOptions = {}): number {
  return evaluate(yTrue, yScore, opts).macroAuroc;
}

/** Macro AUPRC (mean average precision) over the labels that have both classes. */
export function macroAuprc(yTrue: MatrixLike, yScore: MatrixLike, opts: MetricOptions = {}): number {
  return evaluate(yTrue, yScore, opts).macroAuprc;
}

/** AUROC of one label (`yTrue[i]` in {0, 1, IGNORE_LABEL}); an InputError when a class is missing. */
export function auroc(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  return single(yTrue, yScore).auroc;
}

/** Average precision of one label, as scikit-learn's `average_precision_score`. */
export function auprc(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  return single(yTrue, yScore).auprc;
}

function single(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): { auroc: number; auprc: number } {
  for (const [field, v] of [
    ["yTrue", yTrue],
    ["yScore", yScore],
  ] as const) {
    if (v === null || typeof v !== "object" || typeof v.length !== "number") {
      throw new InputError({ field, expected: "an array of numbers", found: describeValue(v) });
    }
  }
  const set = rankSet({ names: ["label"], values: yTrue }, { names: ["label"], values: yScore });
  const r = set.ranked[0];
  const reason = missingClass(r);
  if (reason) throw new InputError({ field: "yTrue", expected: "both a positive and a negative label", found: reason });
  return sweep(r);
}
