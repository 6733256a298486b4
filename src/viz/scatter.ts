/**
 * Scatter plots of 2-D embeddings coloured by label: one panel (`embeddingScatter`) or the paper's
 * Figure 3 (`tsneFigure`): the single-label samples, three groups of four CheXpert labels, one panel
 * per model and group, the same colour for a label in every panel and one legend entry per label
 * that shows or hides it everywhere. Hover text shows the label and the features given, never an
 * identifier column unless `showIds` is set.
 */
import { InputError, describeValue } from "../util/errors";
import {
  baseLayout,
  legendLayout,
  escapeText,
  Figure,
  GROUP_COLORS,
  Panel,
  panelTitle,
  QUALITATIVE,
  round,
  subplotGrid,
  Trace,
} from "./figure";
import { isIdColumn, isMissing } from "./table";
import type { LabelMatrix } from "./prevalence";

/** A named group of labels drawn together (four in the paper). */
export interface LabelGroup {
  name: string;
  labels: readonly string[];
}

/** The label groups of the paper's Figure 3, by frequency of the label in MIMIC-CXR. */
export const FIGURE3_GROUPS: readonly LabelGroup[] = [
  { name: "top-4", labels: ["Lung Opacity", "Cardiomegaly", "Atelectasis", "Pleural Effusion"] },
  { name: "medium-4", labels: ["Pneumonia", "Edema", "Fracture", "Pneumothorax"] },
  { name: "last-4", labels: ["Lung Lesion", "Enlarged Cardiomediastinum", "Consolidation", "Pleural Other"] },
];

/** Embedding coordinates: rows of [x, y] or a flat n x 2 array. */
export type XY = readonly (readonly number[])[] | Float64Array | Float32Array;

export interface ScatterOptions {
  title?: string;
  /** Per-point values shown on hover (features), by column name. */
  hover?: Readonly<Record<string, ArrayLike<unknown>>>;
  /** Also show identifier-like hover columns (subject_id, dicom_id, path, ...); default false. */
  showIds?: boolean;
  /** WebGL markers (fast for many points, drawn on a canvas): true, false or "auto" (default, above 20,000 points). */
  webgl?: boolean | "auto";
  markerSize?: number;
}

const WEBGL_FROM = 20000;

/**
 * The single positive label of each row, or null when a row has none or several positives.
 * `among` restricts the labels considered (default all of `names`).
 */
export function singleLabels(m: LabelMatrix, among?: readonly string[]): (string | null)[] {
  const L = m.names.length;
  if (L === 0 || m.values.length % L !== 0)
    throw new InputError({ field: "values", expected: `rows x ${L} values`, found: `${m.values.length}` });
  const cols = (among ?? m.names).map((l) => {
    const j = m.names.indexOf(l);
    if (j < 0)
      throw new InputError({ field: "among", expected: `labels among ${m.names.join(", ")}`, found: describeValue(l) });
    return j;
  });
  const n = m.values.length / L;
  const out: (string | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let found = -1;
    let count = 0;
    for (const j of cols) {
      if (m.values[i * L + j] === 1) {
        found = j;
        count++;
      }
    }
    out[i] = count === 1 ? m.names[found] : null;
  }
  return out;
}

/** One panel: points coloured by their label (null/undefined points are left out and counted in the title). */
export function embeddingScatter(
  xy: XY,
  labels: readonly (string | null | undefined)[] | LabelMatrix,
  opts: ScatterOptions = {},
): Figure {
  const perPoint = Array.isArray(labels)
    ? (labels as readonly (string | null | undefined)[])
    : singleLabels(labels as LabelMatrix);
  const pts = readXY(xy, "xy");
  if (pts.n !== perPoint.length)
    throw new InputError({ field: "labels", expected: `${pts.n} labels (one per point)`, found: `${perPoint.length}` });
  const names = [...new Set(perPoint.filter((l): l is string => typeof l === "string"))].sort();
  const colors = new Map(
    names.map((l, k) => [
      l,
      k < GROUP_COLORS.length && names.length <= GROUP_COLORS.length
        ? GROUP_COLORS[k]
        : QUALITATIVE[k % QUALITATIVE.length],
    ]),
  );
  const hover = hoverColumns(opts.hover, pts.n, opts.showIds);
  const gl = useWebgl(opts.webgl, pts.n);
  const panel: Panel = { x: "x", y: "y", xaxis: "xaxis", yaxis: "yaxis", row: 0, col: 0 };
  const traces = names.map((label) =>
    labelTrace(pts, perPoint, label, colors.get(label) as string, panel, hover, gl, opts.markerSize, {
      legendgroup: label,
      showlegend: true,
    }),
  );
  const left = perPoint.filter((l) => typeof l !== "string").length;
  const title = `${opts.title ?? "Embedding"}${left > 0 ? ` (${left} points without a single label not drawn)` : ""}`;
  return {
    data: traces,
    layout: {
      ...baseLayout(title),
      xaxis: { title: { text: "dimension 1" }, showticklabels: false, zeroline: false },
      yaxis: { title: { text: "dimension 2" }, showticklabels: false, zeroline: false },
      legend: legendLayout({ title: { text: "label" }, itemsizing: "constant" }),
      height: 520,
    },
    config: { responsive: true, displaylogo: false },
  };
}

export interface TsneFigureInput {
  /** One embedding per model, all of the same samples in the same order. */
  models: readonly { name: string; xy: XY }[];
  /** The single label of each sample (see `singleLabels`); null leaves the sample out. */
  labels: readonly (string | null | undefined)[];
}

export interface TsneFigureOptions extends ScatterOptions {
  /** Default FIGURE3_GROUPS. */
  groups?: readonly LabelGroup[];
}

/**
 * The paper's Figure 3: rows are label groups, columns are models. Panels of one model share their
 * axes (zooming one zooms its column); each group row has its own legend of four labels.
 */
export function tsneFigure(input: TsneFigureInput, opts: TsneFigureOptions = {}): Figure {
  const groups = opts.groups ?? FIGURE3_GROUPS;
  const models = input.models;
  if (!Array.isArray(models) || models.length === 0)
    throw new InputError({ field: "models", expected: "at least one { name, xy }", found: describeValue(models) });
  const n = input.labels.length;
  const embeddings = models.map((m, k) => {
    const p = readXY(m.xy, `models[${k}].xy`);
    if (p.n !== n)
      throw new InputError({ field: `models[${k}].xy`, expected: `${n} points (one per label)`, found: `${p.n}` });
    return p;
  });
  const hover = hoverColumns(opts.hover, n, opts.showIds);
  const drawn = groups.reduce(
    (s, g) => s + input.labels.filter((l) => typeof l === "string" && g.labels.includes(l)).length,
    0,
  );
  const gl = useWebgl(opts.webgl, drawn * models.length);
  const grid = subplotGrid(groups.length, models.length, { hgap: 0.025, vgap: 0.06, right: 0.17 });
  const traces: Trace[] = [];
  const annotations: Record<string, unknown>[] = [];
  const legends: Record<string, unknown> = {};
  groups.forEach((group, r) => {
    const legend = r === 0 ? "legend" : `legend${r + 1}`;
    const firstPanel = grid.panels[r * models.length];
    const yd = (grid.layout[firstPanel.yaxis] as { domain: number[] }).domain;
    legends[legend] = {
      title: { text: `<b>${escapeText(group.name)}</b>` },
      x: 1 - 0.165,
      xanchor: "left",
      y: yd[1],
      yanchor: "top",
      itemsizing: "constant",
      tracegroupgap: 2,
    };
    models.forEach((model, c) => {
      const panel = grid.panels[r * models.length + c];
      group.labels.forEach((label, k) => {
        traces.push(
          labelTrace(
            embeddings[c],
            input.labels,
            label,
            GROUP_COLORS[k % GROUP_COLORS.length],
            panel,
            hover,
            gl,
            opts.markerSize,
            {
              legendgroup: label,
              showlegend: c === 0,
              legend,
              model: model.name,
            },
          ),
        );
      });
      const count = input.labels.filter((l) => typeof l === "string" && group.labels.includes(l)).length;
      annotations.push(panelTitle(`${model.name} · ${group.name} (n = ${count})`, grid.layout, panel));
      const xa = grid.layout[panel.xaxis] as Record<string, unknown>;
      const ya = grid.layout[panel.yaxis] as Record<string, unknown>;
      Object.assign(xa, {
        showticklabels: false,
        zeroline: false,
        showgrid: false,
        showline: true,
        linecolor: "#ccc",
        mirror: true,
      });
      Object.assign(ya, {
        showticklabels: false,
        zeroline: false,
        showgrid: false,
        showline: true,
        linecolor: "#ccc",
        mirror: true,
      });
      if (r > 0) {
        const top = grid.panels[c];
        xa.matches = top.x;
        ya.matches = top.y;
      }
      if (r === groups.length - 1) xa.title = { text: "t-SNE 1" };
      if (c === 0) ya.title = { text: "t-SNE 2" };
    });
  });
  return {
    data: traces,
    layout: {
      ...baseLayout(opts.title ?? "t-SNE of single-label samples"),
      ...grid.layout,
      ...legends,
      annotations,
      height: 300 * groups.length + 100,
    },
    config: { responsive: true, displaylogo: false },
  };
}

interface XYPoints {
  n: number;
  at(i: number, axis: 0 | 1): number;
}

function readXY(xy: XY, field: string): XYPoints {
  if (xy instanceof Float64Array || xy instanceof Float32Array) {
    if (xy.length % 2 !== 0) throw new InputError({ field, expected: "n x 2 values", found: `${xy.length}` });
    return { n: xy.length / 2, at: (i, a) => xy[2 * i + a] };
  }
  if (!Array.isArray(xy)) throw new InputError({ field, expected: "rows of [x, y]", found: describeValue(xy) });
  xy.forEach((row, i) => {
    if (!row || row.length < 2 || !Number.isFinite(row[0]) || !Number.isFinite(row[1])) {
      throw new InputError({ field, row: i + 1, expected: "[x, y] with finite numbers", found: describeValue(row) });
    }
  });
  return { n: xy.length, at: (i, a) => xy[i][a] };
}

interface Hover {
  names: string[];
  columns: ArrayLike<unknown>[];
}

function hoverColumns(hover: ScatterOptions["hover"], n: number, showIds = false): Hover {
  const names: string[] = [];
  const columns: ArrayLike<unknown>[] = [];
  for (const [name, col] of Object.entries(hover ?? {})) {
    if (!showIds && isIdColumn(name)) continue;
    if (!col || col.length !== n)
      throw new InputError({
        field: "hover",
        column: name,
        expected: `${n} values (one per point)`,
        found: `${col?.length ?? describeValue(col)}`,
      });
    names.push(name);
    columns.push(col);
  }
  return { names, columns };
}

function useWebgl(webgl: ScatterOptions["webgl"], points: number): boolean {
  return webgl === "auto" || webgl === undefined ? points > WEBGL_FROM : webgl;
}

/** The points of one label in one panel, with their hover features. */
function labelTrace(
  pts: XYPoints,
  labels: readonly (string | null | undefined)[],
  label: string,
  color: string,
  panel: Panel,
  hover: Hover,
  gl: boolean,
  markerSize: number | undefined,
  extra: { legendgroup: string; showlegend: boolean; legend?: string; model?: string },
): Trace {
  const x: number[] = [],
    y: number[] = [],
    custom: unknown[][] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== label) continue;
    x.push(round(pts.at(i, 0), 3));
    y.push(round(pts.at(i, 1), 3));
    if (hover.names.length > 0) custom.push(hover.columns.map((c) => (isMissing(c[i]) ? "missing" : c[i])));
  }
  const lines = hover.names.map((name, k) => `${escapeText(name)}: %{customdata[${k}]}`);
  const { model, ...rest } = extra;
  return {
    type: gl ? "scattergl" : "scatter",
    mode: "markers",
    name: label,
    ...rest,
    x,
    y,
    xaxis: panel.x,
    yaxis: panel.y,
    marker: { color, size: markerSize ?? (x.length > 5000 ? 3 : 5), opacity: 0.75 },
    ...(custom.length > 0 ? { customdata: custom } : {}),
    hovertemplate:
      [`<b>${escapeText(label)}</b>`, ...lines].join("<br>") + `<extra>${model ? escapeText(model) : ""}</extra>`,
  };
}
