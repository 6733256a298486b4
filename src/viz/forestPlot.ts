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

/** Markers at the estimates, horizontal bars for the intervals; models top to bottom in input order. */
export function forestPlot(rows: readonly ForestRow[], opts: ForestOptions = {}): Figure {
  if (!Array.isArray(rows) || rows.length === 0)
    throw new InputError({
      field: "rows",
      expected: "at least one { model, metric, value, lo, hi }",
      found: describeValue(rows),
    });
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
    const ref = opts.reference !== undefined ? here.find((r) => r.model === opts.reference) : undefined;
    if (ref) {
      shapes.push({
        type: "line",
        xref: panel.x,
        yref: `${panel.y} domain`,
        x0: ref.value,
        x1: ref.value,
        y0: 0,
        y1: 1,
        line: { color: "#888", dash: "dash", width: 1 },
      });
    }
    annotations.push(panelTitle(metric, grid.layout, panel));
    const xa = grid.layout[panel.xaxis] as Record<string, unknown>;
    xa.title = { text: `${metric} (95% CI)` };
    xa.zeroline = false;
    const ya = grid.layout[panel.yaxis] as Record<string, unknown>;
    Object.assign(ya, { type: "category", categoryorder: "array", categoryarray: yOrder, showticklabels: k === 0 });
    if (k === 0) ya.title = { text: "model" };
  });
  const significant = rows.some((r) => r.significant);
  return {
    data: traces,
    layout: {
      ...baseLayout(opts.title ?? "AUROC and AUPRC with confidence intervals"),
      ...grid.layout,
      annotations: significant
        ? [
            ...annotations,
            {
              text: `★ significant vs ${escapeText(opts.reference ?? "the reference")}`,
              showarrow: false,
              xref: "paper",
              yref: "paper",
              x: 1,
              y: 1,
              yshift: 22,
              xanchor: "right",
              yanchor: "bottom",
              font: { size: 11, color: "#555" },
            },
          ]
        : annotations,
      shapes,
      showlegend: false,
      height: Math.max(260, 34 * models.length + 140),
    },
    config: { responsive: true, displaylogo: false },
  };
}
