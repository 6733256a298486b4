/**
 * Results tables in the paper's format, `0.751∗ (0.748, 0.754)`: the estimate, a significance mark
 * against a chosen baseline, and the 95% bootstrap interval. Given as a danfo DataFrame (for
 * display and for users who want one), HTML and CSV (rendered with arquero, whose CSV quotes the
 * commas inside the intervals; danfo's does not).
 */
import * as aq from "arquero";
import type { DataFrame } from "danfojs-node";
import { InputError, describeValue } from "../util/errors";
import { bootstrapCi, type BootstrapOptions, type BootstrapResult, type Interval } from "./bootstrap";
import { compare } from "./compare";
import type { ScoredSet } from "./matrix";
import { escapeHtml } from "../util/html";

/** One cell group of a table: a model's test predictions (and their CIs when already computed). */
export interface TableEntry {
  /** Row name, e.g. "MSN" or "MSN+age". */
  model: string;
  /** Column group, e.g. a dataset ("CheXpert") or a training fraction ("1%"); default none. */
  group?: string;
  /** Labels and scores of the test set (needed for the significance test). */
  test: ScoredSet;
  /** Bootstrap CIs of `test`; computed when absent. */
  ci?: BootstrapResult;
}

/** A mark and the p-value it requires. */
export interface SignificanceMark {
  mark: string;
  below: number;
}

export interface TableOptions extends BootstrapOptions {
  /** Model whose row the others are tested against (in each group); none: no marks. */
  baseline?: string;
  /**
   * Marks by p-value, strictest first; the first that applies is shown. Default `∗` for p < 0.05.
   * (The paper uses ∗ and † at two levels that its text does not preserve.)
   */
  marks?: SignificanceMark[];
  /** Test for AUROC: DeLong's (default) or the paired bootstrap. AUPRC always uses the bootstrap. */
  aurocTest?: "delong" | "bootstrap";
  /** Mark only improvements over the baseline (default, as the paper) or any significant difference. */
  sided?: "better" | "both";
  /** Decimals (default 3). */
  digits?: number;
}

/** A rendered table. */
export interface ResultsTable {
  /** Column names, then one array of cells per row. */
  columns: string[];
  rows: string[][];
  /** The figures behind the cells. */
  cells: { model: string; group: string; auroc: Interval; auprc: Interval; pAuroc?: number; pAuprc?: number }[];
  /** Footnote saying what the marks mean (empty without a baseline). */
  note: string;
  /** The table as a danfo DataFrame (loads danfo on first use, about 1 s). */
  frame(): DataFrame;
  html(): string;
  csv(): string;
}

/** `0.751∗ (0.748, 0.754)`. */
export function formatCi(x: Interval, digits = 3, mark = ""): string {
  return `${x.estimate.toFixed(digits)}${mark} (${x.lower.toFixed(digits)}, ${x.upper.toFixed(digits)})`;
}

/**
 * The paper's comparison table: one row per model, `AUROC (CI)` and `AUPRC (CI)` per group, marks
 * for significant differences from `baseline`.
 */
export function resultsTable(entries: TableEntry[], opts: TableOptions = {}): ResultsTable {
  if (!Array.isArray(entries) || entries.length === 0)
    throw new InputError({ field: "entries", expected: "at least one { model, test }", found: describeValue(entries) });
  const digits = opts.digits ?? 3;
  const marks = [...(opts.marks ?? [{ mark: "∗", below: 0.05 }])].sort((a, b) => a.below - b.below);
  const groups = [...new Set(entries.map((e) => e.group ?? ""))];
  const models = [...new Set(entries.map((e) => e.model))];
  const seen = new Set<string>();
  for (const e of entries) {
    const key = `${e.model}\u0000${e.group ?? ""}`;
    if (seen.has(key))
      throw new InputError({
        field: "entries",
        expected: "one entry per model and group",
        found: `"${e.model}"${e.group ? ` in "${e.group}"` : ""} twice`,
      });
    seen.add(key);
  }
  if (opts.baseline !== undefined && !models.includes(opts.baseline)) {
    throw new InputError({
      field: "baseline",
      expected: `one of the models (${models.join(", ")})`,
      found: describeValue(opts.baseline),
    });
  }
  const markFor = (p: number | undefined, diff: number) => {
    if (p === undefined || (opts.sided !== "both" && !(diff > 0))) return "";
    return marks.find((m) => p < m.below)?.mark ?? "";
  };
  const cells: ResultsTable["cells"] = [];
  const rows = models.map((model) => {
    const row = [model];
    for (const group of groups) {
      const e = entries.find((x) => x.model === model && (x.group ?? "") === group);
      if (!e) {
        row.push("", "");
        continue;
      }
      const ci = e.ci ?? bootstrapCi(e.test.yTrue, e.test.yScore, opts);
      const base =
        opts.baseline !== undefined && model !== opts.baseline
          ? entries.find((x) => x.model === opts.baseline && (x.group ?? "") === group)
          : undefined;
      let pAuroc: number | undefined;
      let pAuprc: number | undefined;
      let dAuroc = 0;
      let dAuprc = 0;
      if (base) {
        const c = compare(base.test, e.test, { ...opts, quiet: true });
        pAuroc =
          opts.aurocTest === "bootstrap"
            ? c.macro.auroc.pBootstrap
            : (c.macro.auroc.delong?.p ?? c.macro.auroc.pBootstrap);
        pAuprc = c.macro.auprc.pBootstrap;
        dAuroc = c.macro.auroc.diff;
        dAuprc = c.macro.auprc.diff;
      }
      cells.push({ model, group, auroc: ci.auroc, auprc: ci.auprc, pAuroc, pAuprc });
      row.push(
        formatCi(ci.auroc, digits, markFor(pAuroc, dAuroc)),
        formatCi(ci.auprc, digits, markFor(pAuprc, dAuprc)),
      );
    }
    return row;
  });
  const prefix = (g: string) => (g ? `${g} ` : "");
  const columns = ["Model", ...groups.flatMap((g) => [`${prefix(g)}AUROC (CI)`, `${prefix(g)}AUPRC (CI)`])];
  const test =
    opts.aurocTest === "bootstrap" ? "paired bootstrap" : "DeLong's test for AUROC, paired bootstrap for AUPRC";
  const note =
    opts.baseline === undefined
      ? ""
      : marks.map((m) => `${m.mark} p < ${m.below} against ${opts.baseline} (${test})`).join("; ");
  return tableOf(columns, rows, note, cells);
}

/**
 * One model's per-label table: a row per label and a last row for the macro average, with the
 * number of positives (labels left out of the macro average show "n/a").
 */
export function labelTable(ci: BootstrapResult, digits = 3): ResultsTable {
  const rows = ci.perLabel.map((l) => [
    l.name,
    l.auroc ? formatCi(l.auroc, digits) : "n/a",
    l.auprc ? formatCi(l.auprc, digits) : "n/a",
    String(l.positives),
  ]);
  const positives = ci.perLabel.reduce((a, l) => a + l.positives, 0);
  rows.push(["Macro", formatCi(ci.auroc, digits), formatCi(ci.auprc, digits), String(positives)]);
  const note =
    `${Math.round(100 * (1 - ci.alpha))}% percentile bootstrap intervals, ${ci.n} resamples` +
    (ci.leftOut.length > 0
      ? `; left out of the macro average: ${ci.leftOut.map((l) => `${l.name} (${l.reason})`).join(", ")}`
      : "");
  return tableOf(["Label", "AUROC (CI)", "AUPRC (CI)", "Positives"], rows, note, [
    { model: "", group: "", auroc: ci.auroc, auprc: ci.auprc },
  ]);
}

function tableOf(columns: string[], rows: string[][], note: string, cells: ResultsTable["cells"]): ResultsTable {
  const data = () => Object.fromEntries(columns.map((c, j) => [c, rows.map((r) => r[j])]));
  let frame: DataFrame | undefined;
  return {
    columns,
    rows,
    cells,
    note,
    frame() {
      // Loaded on demand: danfo pulls in TF.js at load time, which the rest of eval does not need here.

      const dfd = require("danfojs-node") as typeof import("danfojs-node");
      frame ??= new dfd.DataFrame(data());
      return frame;
    },
    html() {
      const body = aq.table(data()).toHTML();
      return note ? `${body}\n<p><small>${escapeHtml(note)}</small></p>` : body;
    },
    csv() {
      return aq.table(data()).toCSV();
    },
  };
}
