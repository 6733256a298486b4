/**
 * A forest plot of metric estimates with confidence intervals per model: the paper's tables of
 * AUROC / AUPRC (CI) as a picture, one panel per metric.
 */
import { InputError, describeValue } from "../util/errors";
import { checkOneOf } from "../util/validate";
import { baseLayout, colorMap, escapeText, Figure, panelTitle, subplotGrid, Trace } from "./figure";

/** One estimate: a model's metric with its confidence interval. */
export interface ForestRow {
  model: string;
  /** e.g. "AUROC", "AUPRC" (one panel each, in order of first appearance). */
  metric: string;
  value: number;
  lo: number;
  hi: number;
  /** Significantly different from the reference model (drawn as a filled star). */
  significant?: boolean;
}

export interface ForestOptions {
  title?: string;
  /** Model whose value is drawn as a dashed vertical line in each panel (e.g. "Vanilla MSN"). */
  reference?: string;
  /**
   * The intervals are bootstrap percentile intervals, which can miss their estimate when the
   * resampled values are skewed: such a row is drawn as it is instead of refused.
   */
  percentileIntervals?: boolean;
}

/** An estimate with its interval, as eval's results carry them. */
export interface IntervalLike {
  estimate: number;
  lower: number;
  upper: number;
}

/** A model's result with macro AUROC and AUPRC (`study.probe(name)`; a plain `probe` result given a `model`). */
export interface MacroResult {
  model: string;
  macro: { auroc: IntervalLike; auprc: IntervalLike };
}

/** A results table (`study.table()`, `evaluation.resultsTable`): its cells, with p-values against the baseline. */
export interface TableLike {
  cells: readonly {
    model: string;
    group?: string;
    auroc: IntervalLike;
    auprc: IntervalLike;
    pAuroc?: number;
    pAuprc?: number;
  }[];
}

/** A difference B - A with its interval and bootstrap p-value (DeLong's for AUROC where there is one). */
interface DifferenceLike {
  diff: number;
  lower: number;
  upper: number;
  pBootstrap: number;
  delong?: { p: number } | null;
}

/** A model's comparison against the baseline (`study.comparisons()`). */
export interface ComparisonLike {
  model: string;
  comparison: { macro: { auroc: DifferenceLike; auprc: DifferenceLike } };
}

/** What `forestPlot` draws: rows, results, a results table, or comparisons against the baseline. */
export type ForestInput = readonly ForestRow[] | readonly MacroResult[] | TableLike | readonly ComparisonLike[];

/** p below which a difference is drawn as significant (a star). */
const SIGNIFICANCE = 0.05;

/**
 * Markers at the estimates, horizontal bars for the intervals; models top to bottom in input order.
 * Takes rows, or results directly: `forestPlot(await study.table(), { reference: "MSN" })` (starred where
 * significantly better than the reference), `forestPlot(probes)`, or `forestPlot(await study.comparisons())`
 * (the differences from the baseline, with a line at 0).
 */
export function forestPlot(input: ForestInput, opts: ForestOptions = {}): Figure {
  const { rows, zero, intervals } = forestRows(input, opts.reference);
  return drawForest(rows, {
    ...opts,
    percentileIntervals: opts.percentileIntervals ?? intervals,
    title: opts.title ?? (zero ? "Difference from the baseline (B - A) with 95% CIs" : undefined),
    zero,
  });
}

/** The rows of `input`; `zero` for differences (drawn against 0); `intervals` when they are bootstrap percentiles. */
function forestRows(
  input: ForestInput,
  reference: string | undefined,
): { rows: readonly ForestRow[]; zero: boolean; intervals: boolean } {
  const both = (
    model: string,
    auroc: IntervalLike,
    auprc: IntervalLike,
    sig: [boolean, boolean] = [false, false],
    group = "",
  ): ForestRow[] =>
    (["AUROC", "AUPRC"] as const).map((metric, k) => {
      const x = k === 0 ? auroc : auprc;
      const name = group ? `${group} ${metric}` : metric;
      return { model, metric: name, value: x.estimate, lo: x.lower, hi: x.upper, significant: sig[k] };
    });
  if (isTable(input)) {
    const base = (group: string | undefined) => input.cells.find((c) => c.model === reference && c.group === group);
    const better = (p: number | undefined, x: IntervalLike, b: IntervalLike | undefined) =>
      p !== undefined && p < SIGNIFICANCE && b !== undefined && x.estimate > b.estimate;
    const rows = input.cells.flatMap((c) => {
      const b = base(c.group);
      const sig: [boolean, boolean] = [better(c.pAuroc, c.auroc, b?.auroc), better(c.pAuprc, c.auprc, b?.auprc)];
      return both(c.model, c.auroc, c.auprc, sig, c.group);
    });
    return { rows, zero: false, intervals: true };
  }
  if (!Array.isArray(input) || input.length === 0)
    throw new InputError({
      field: "rows",
      expected: "at least one { model, metric, value, lo, hi }, result, comparison, or a results table",
      found: describeValue(input),
    });
  const first = input[0] as Partial<ForestRow & MacroResult & ComparisonLike>;
  if (first.comparison !== undefined) {
    const diff = (d: DifferenceLike) => ({ estimate: d.diff, lower: d.lower, upper: d.upper });
    const rows = (input as readonly ComparisonLike[]).flatMap(({ model, comparison: { macro } }) =>
      both(model, diff(macro.auroc), diff(macro.auprc), [
        (macro.auroc.delong?.p ?? macro.auroc.pBootstrap) < SIGNIFICANCE,
        macro.auprc.pBootstrap < SIGNIFICANCE,
      ]),
    );
    return { rows, zero: true, intervals: true };
  }
  if (first.macro !== undefined) {
    const rows = (input as readonly MacroResult[]).flatMap((r, k) => {
      if (typeof r.model !== "string")
        throw new InputError({
          field: `results[${k}].model`,
          expected: 'a model name ({ ...result, model: "MSN" })',
          found: describeValue(r.model),
        });
      return both(r.model, r.macro.auroc, r.macro.auprc);
    });
    return { rows, zero: false, intervals: true };
  }
  return { rows: input as readonly ForestRow[], zero: false, intervals: false };
}

function isTable(x: ForestInput): x is TableLike {
  return typeof x === "object" && x !== null && !Array.isArray(x) && Array.isArray((x as TableLike).cells);
}

/** The figure of checked rows; `zero` draws a dashed line at 0 in every panel. */
function drawForest(rows: readonly ForestRow[], opts: ForestOptions & { zero: boolean }): Figure {
  if (rows.length === 0)
    throw new InputError({ field: "rows", expected: "at least one { model, metric, value, lo, hi }", found: "none" });
  rows.forEach((r, i) => {
    for (const k of ["value", "lo", "hi"] as const) {
      if (typeof r[k] !== "number" || !Number.isFinite(r[k]))
        throw new InputError({
          field: "rows",
          row: i + 1,
          column: k,
          expected: "a finite number",
          found: describeValue(r[k]),
        });
    }
    const ordered = opts.percentileIntervals ? r.lo <= r.hi : r.lo <= r.value && r.value <= r.hi;
    if (!ordered)
      throw new InputError({
        field: "rows",
        row: i + 1,
        expected: opts.percentileIntervals ? "lo <= hi" : "lo <= value <= hi",
        found: `${r.lo} / ${r.value} / ${r.hi}`,
      });
  });
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const models = [...new Set(rows.map((r) => r.model))];
  if (opts.reference !== undefined) checkOneOf(opts.reference, "reference", models);
  const colors = colorMap(models);
  const grid = subplotGrid(1, metrics.length, { hgap: 0.04 });
  const traces: Trace[] = [];
  const annotations: Record<string, unknown>[] = [];
  const shapes: Record<string, unknown>[] = [];
  const yOrder = [...models].reverse();
  metrics.forEach((metric, k) => {
    const panel = grid.panels[k];
    const here = rows.filter((r) => r.metric === metric);
    for (const r of here) {
      traces.push({
        type: "scatter",
        mode: "markers",
        name: r.model,
        legendgroup: r.model,
        showlegend: false,
        x: [r.value],
        y: [r.model],
        xaxis: panel.x,
        yaxis: panel.y,
        marker: { color: colors.get(r.model), size: 9, symbol: r.significant ? "star" : "circle" },
        error_x: {
          type: "data",
          symmetric: false,
          array: [r.hi - r.value],
          arrayminus: [r.value - r.lo],
          color: colors.get(r.model),
          thickness: 1.5,
          width: 4,
        },
        hovertemplate: `${escapeText(r.model)} · ${escapeText(metric)}<br>${r.value.toFixed(3)} (${r.lo.toFixed(3)}, ${r.hi.toFixed(3)})${r.significant ? " ★ significant" : ""}<extra></extra>`,
      });
    }
    const ref = opts.zero ? 0 : here.find((r) => opts.reference !== undefined && r.model === opts.reference)?.value;
    if (ref !== undefined) {
      shapes.push({
        type: "line",
        xref: panel.x,
        yref: `${panel.y} domain`,
        x0: ref,
        x1: ref,
        y0: 0,
        y1: 1,
        line: { color: "#888", dash: "dash", width: 1 },
      });
    }
    annotations.push(panelTitle(metric, grid.layout, panel));
    const xa = grid.layout[panel.xaxis] as Record<string, unknown>;
    xa.title = { text: opts.zero ? `${metric} difference (95% CI)` : `${metric} (95% CI)` };
    xa.zeroline = false;
    const ya = grid.layout[panel.yaxis] as Record<string, unknown>;
    Object.assign(ya, { type: "category", categoryorder: "array", categoryarray: yOrder, showticklabels: k === 0 });
    if (k === 0) ya.title = { text: "model" };
  });
  const title = opts.title ?? "AUROC and AUPRC with confidence intervals";
  // The note goes under the title, on the left: the top right corner is the modebar's.
  const against = opts.zero ? "the baseline" : escapeText(opts.reference ?? "the reference");
  const note = rows.some((r) => r.significant) ? `<br><sup>★ significantly different from ${against}</sup>` : "";
  return {
    data: traces,
    layout: {
      ...baseLayout(title + note),
      ...grid.layout,
      ...(note ? { margin: { ...(baseLayout(title).margin as object), t: 84 } } : {}),
      annotations,
      shapes,
      showlegend: false,
      height: Math.max(260, 34 * models.length + 140),
    },
    config: { responsive: true, displaylogo: false },
  };
}
