/**
 * Plotly figures as plain JSON ({ data, layout, config }), the shape plotly.js, the
 * `application/vnd.plotly.v1+json` MIME renderer and plotly.py all read. Builders in this folder
 * return these objects; nothing here draws or touches the file system.
 */

/** One Plotly trace (scatter, bar, ...); fields as in the plotly.js reference. */
export interface Trace {
  type: string;
  name?: string;
  [key: string]: unknown;
}

export interface Figure {
  data: Trace[];
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Whether `x` looks like a Plotly figure (an array of traces and a layout object). */
export function isFigure(x: unknown): x is Figure {
  const f = x as Figure | null;
  return (
    typeof f === "object" &&
    f !== null &&
    Array.isArray(f.data) &&
    typeof f.layout === "object" &&
    f.layout !== null &&
    f.data.every((t) => typeof t === "object" && t !== null)
  );
}

/** Colours of the paper's Figure 3 (blue, red, green, yellow), one per label of a group. */
export const GROUP_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#e3b505"] as const;

/** Colours of the MIMIC-CXR splits; other splits take QUALITATIVE colours. */
export const SPLIT_COLORS: Record<string, string> = { train: "#4c72b0", validate: "#dd8452", test: "#55a868" };

/** Plotly's default qualitative palette (models, labels beyond a group of four). */
export const QUALITATIVE = [
  "#636efa",
  "#ef553b",
  "#00cc96",
  "#ab63fa",
  "#ffa15a",
  "#19d3f3",
  "#ff6692",
  "#b6e880",
  "#ff97ff",
  "#fecb52",
] as const;

/** A colour for each name, stable for names listed in `fixed`, else in order of first appearance. */
export function colorMap(names: readonly string[], fixed: Record<string, string> = {}): Map<string, string> {
  const m = new Map<string, string>();
  let next = 0;
  for (const name of names) {
    if (m.has(name)) continue;
    m.set(name, fixed[name] ?? QUALITATIVE[next++ % QUALITATIVE.length]);
  }
  return m;
}

/**
 * Where every figure's legend sits: one horizontal row (wrapping when long) at the bottom of the figure,
 * left-aligned. Plotly's modebar takes the top right corner and the title the top left; down here the
 * legend collides with neither, and Plotly reserves the margin it needs below the axis titles (a
 * legend in container coordinates pushes the plot area up).
 */
export const LEGEND: Readonly<Record<string, unknown>> = Object.freeze({
  orientation: "h",
  x: 0,
  xanchor: "left",
  y: 0,
  yanchor: "bottom",
  yref: "container",
});

/** The default legend (`LEGEND`) with settings other than its place, e.g. `{ title: { text: "split" } }`. */
export function legendLayout(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, ...LEGEND };
}

/** Layout defaults shared by every figure: white background, readable font, compact margins, the legend's place. */
export function baseLayout(title: string | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(title ? { title: { text: title, x: 0.01, xanchor: "left" } } : {}),
    template: { layout: { paper_bgcolor: "white", plot_bgcolor: "white" } },
    font: { family: "Helvetica, Arial, sans-serif", size: 12 },
    margin: { l: 60, r: 20, t: title ? 60 : 30, b: 50 },
    hoverlabel: { namelength: -1 },
    legend: legendLayout(),
    ...extra,
  };
}

/** Axis ids of one panel of a subplot grid. */
export interface Panel {
  /** Trace references: "x", "x2", ... */
  x: string;
  y: string;
  /** Layout keys: "xaxis", "xaxis2", ... */
  xaxis: string;
  yaxis: string;
  row: number;
  col: number;
}

export interface GridOptions {
  /** Horizontal gap between panels, as a fraction of the width; default 0.06. */
  hgap?: number;
  /** Vertical gap, as a fraction of the height; default 0.1. */
  vgap?: number;
  /** Fraction of the width left free on the right (legends); default 0. */
  right?: number;
}

/**
 * A rows x cols grid of panels (row 0 at the top): the panels' axis ids and the layout entries
 * that place their axes. Panel k (row-major) uses axes number k + 1.
 */
export function subplotGrid(
  rows: number,
  cols: number,
  opts: GridOptions = {},
): { panels: Panel[]; layout: Record<string, unknown> } {
  const hgap = opts.hgap ?? 0.06,
    vgap = opts.vgap ?? 0.1,
    right = opts.right ?? 0;
  const w = (1 - right - hgap * (cols - 1)) / cols;
  const h = (1 - vgap * (rows - 1)) / rows;
  const panels: Panel[] = [];
  const layout: Record<string, unknown> = {};
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c + 1;
      const s = k === 1 ? "" : String(k);
      const p: Panel = { x: `x${s}`, y: `y${s}`, xaxis: `xaxis${s}`, yaxis: `yaxis${s}`, row: r, col: c };
      const x0 = c * (w + hgap),
        y1 = 1 - r * (h + vgap);
      layout[p.xaxis] = { domain: [round(x0, 4), round(x0 + w, 4)], anchor: p.y, automargin: true };
      layout[p.yaxis] = { domain: [round(y1 - h, 4), round(y1, 4)], anchor: p.x, automargin: true };
      panels.push(p);
    }
  }
  return { panels, layout };
}

/** A bold title centred above a panel (a layout annotation in paper coordinates). */
export function panelTitle(text: string, layout: Record<string, unknown>, p: Panel): Record<string, unknown> {
  const xd = (layout[p.xaxis] as { domain: number[] }).domain;
  const yd = (layout[p.yaxis] as { domain: number[] }).domain;
  return {
    text: `<b>${escapeText(text)}</b>`,
    showarrow: false,
    xref: "paper",
    yref: "paper",
    x: (xd[0] + xd[1]) / 2,
    y: yd[1],
    xanchor: "center",
    yanchor: "bottom",
    font: { size: 13 },
  };
}

/** Rounds to `digits` decimals (keeps figure JSON small; screens show no more). */
export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Escapes text placed in Plotly's HTML-like labels (titles, hover text, annotations). */
export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** At most `max` points of a series, evenly spaced along it, always with both ends (keeps figures light). */
export function thinEvenly(
  p: { x: readonly number[]; y: readonly number[] },
  max: number,
): { x: number[]; y: number[] } {
  if (p.x.length <= max) return { x: [...p.x], y: [...p.y] };
  const x: number[] = [],
    y: number[] = [];
  const step = (p.x.length - 1) / (max - 1);
  for (let k = 0; k < max; k++) {
    const i = Math.round(k * step);
    x.push(p.x[i]);
    y.push(p.y[i]);
  }
  return { x, y };
}
