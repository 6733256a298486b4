/**
 * How results that carry no rendering of their own are shown, by `show` and in reports: an evaluation
 * (probe, external validation, fine-tuning) as its macro line and per-label table, a comparison as one
 * row per label, a study's results as its tables and comparisons. Each becomes a list of parts the
 * renderer knows: text, row objects and results tables (their own HTML; as text their rows and note).
 */
import type { Interval } from "../eval/bootstrap";
import type { AurocDifference, Comparison, Difference } from "../eval/compare";
import type { ResultsTable } from "../eval/table";
import { formatP, signed } from "./numberFormat";

/** The parts `x` is shown as, or undefined when it is not a result type. */
export function resultView(x: unknown): unknown[] | undefined {
  if (isComparison(x)) return comparisonParts(x);
  const o = x as Record<string, unknown> | null;
  if (o === null || typeof o !== "object") return undefined;
  if (typeof o.table === "function" && !("html" in o)) {
    const table = (o.table as () => unknown)();
    if (!isResultsTable(table)) return undefined;
    const macro = o.macro as { auroc?: Interval; auprc?: Interval } | undefined;
    const line = macro?.auroc && macro.auprc ? [macroLine(macro.auroc, macro.auprc)] : [];
    return [...line, table];
  }
  if (isResultsTable(o.table) && Array.isArray(o.comparisons)) return studyParts(o);
  return undefined;
}

/** Whether `x` is a results table (eval's `ResultsTable`). */
export function isResultsTable(x: unknown): x is ResultsTable {
  const t = x as ResultsTable | null;
  return (
    typeof t === "object" &&
    t !== null &&
    Array.isArray(t.columns) &&
    Array.isArray(t.rows) &&
    typeof t.html === "function" &&
    typeof t.csv === "function"
  );
}

function isComparison(x: unknown): x is Comparison {
  const c = x as Comparison | null;
  return (
    typeof c === "object" &&
    c !== null &&
    Array.isArray(c.perLabel) &&
    typeof c.macro?.auroc?.diff === "number" &&
    typeof c.macro?.auprc?.diff === "number"
  );
}

/** A results table's rows as objects keyed by its column names. */
export function resultsTableRows(t: ResultsTable): Record<string, string>[] {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c, j) => [c, r[j]])));
}

function macroLine(auroc: Interval, auprc: Interval): string {
  const ci = (x: Interval) => `${x.estimate.toFixed(3)} (${x.lower.toFixed(3)}, ${x.upper.toFixed(3)})`;
  return `Macro AUROC ${ci(auroc)}, macro AUPRC ${ci(auprc)} (95% bootstrap intervals).`;
}

/** B - A per label and for the macro average, with intervals and p-values. */
function comparisonParts(c: Comparison): unknown[] {
  const row = (label: string, auroc: AurocDifference | null, auprc: Difference | null) => ({
    label,
    "AUROC B-A": auroc ? differenceText(auroc) : "",
    "DeLong p": auroc?.delong ? formatP(auroc.delong.p) : "",
    "AUROC bootstrap p": auroc ? formatP(auroc.pBootstrap) : "",
    "AUPRC B-A": auprc ? differenceText(auprc) : "",
    "AUPRC bootstrap p": auprc ? formatP(auprc.pBootstrap) : "",
  });
  const rows = [row("macro", c.macro.auroc, c.macro.auprc), ...c.perLabel.map((l) => row(l.name, l.auroc, l.auprc))];
  return [
    `Differences B - A on the same test images: ${c.n} paired bootstrap resamples, ${Math.round((1 - c.alpha) * 100)}% intervals.`,
    rows,
  ];
}

function differenceText(d: Difference): string {
  return `${signed(d.diff)} (${signed(d.lower)}, ${signed(d.upper)})`;
}

/** A study's results: its tables, each comparison against the baseline, and where the report went. */
function studyParts(o: Record<string, unknown>): unknown[] {
  const parts: unknown[] = [o.table];
  if (isResultsTable(o.external)) parts.push("External validation", o.external);
  for (const { model, comparison } of o.comparisons as { model: string; comparison: Comparison }[])
    parts.push(`${model} against the baseline`, ...comparisonParts(comparison));
  if (typeof o.report === "string") parts.push(`Report: ${o.report}`);
  return parts;
}
