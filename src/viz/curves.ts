/**
 * ROC and precision-recall curves, one panel per label, one line per model (linked legend).
 * The curves are computed here from labels and scores, with tied scores forming one threshold as
 * in scikit-learn's `roc_curve` / `precision_recall_curve`; the area in each hover (trapezoidal
 * AUROC, step-wise average precision) follows from the same points.
 */
import { InputError, describeValue } from "../util/errors";
import { IGNORE_LABEL } from "../util/labels";
import { baseLayout, colorMap, escapeText, Figure, panelTitle, round, subplotGrid, thinEvenly, Trace } from "./figure";

/** Labels and scores of one model: n rows x labels, as rows or one row-major array. */
export interface ScoredLabels {
  /** Legend name; default "model". */
  model?: string;
  labels: readonly string[];
  /** 0, 1 or IGNORE_LABEL (left out of that label's curve). */
  yTrue: readonly ArrayLike<number>[] | ArrayLike<number>;
  yScore: readonly ArrayLike<number>[] | ArrayLike<number>;
}

export interface CurveOptions {
  title?: string;
  /** Panels per row; default 4. */
  columns?: number;
  /** Most points drawn per curve (evenly thinned beyond); default 300. */
  maxPoints?: number;
  /** The labels drawn, a panel each, in this order; default every label of the first model. */
  labels?: readonly string[];
}

/** One label's curve: thresholds swept from high to low. */
export interface CurvePoints {
  /** ROC: false positive rate; PR: recall. */
  x: number[];
  /** ROC: true positive rate; PR: precision. */
  y: number[];
  /** AUROC (ROC) or average precision (PR); NaN without both classes. */
  area: number;
  positives: number;
  negatives: number;
}

/** ROC curve points and trapezoidal area of one label. */
export function rocPoints(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): CurvePoints {
  const s = sweep(yTrue, yScore);
  const x = [0],
    y = [0];
  let area = 0;
  for (const [tp, fp] of s.blocks) {
    const fx = fp / s.negatives,
      ty = tp / s.positives;
    area += ((fx - x[x.length - 1]) * (ty + y[y.length - 1])) / 2;
    x.push(fx);
    y.push(ty);
  }
  return {
    x,
    y,
    area: s.positives > 0 && s.negatives > 0 ? area : NaN,
    positives: s.positives,
    negatives: s.negatives,
  };
}

/** Precision-recall points (starting at recall 0, precision 1) and average precision of one label. */
export function prPoints(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): CurvePoints {
  const s = sweep(yTrue, yScore);
  const x = [0],
    y = [1];
  let area = 0;
  for (const [tp, fp] of s.blocks) {
    const r = tp / s.positives,
      p = tp / (tp + fp);
    area += (r - x[x.length - 1]) * p;
    x.push(r);
    y.push(p);
  }
  return {
    x,
    y,
    area: s.positives > 0 && s.negatives > 0 ? area : NaN,
    positives: s.positives,
    negatives: s.negatives,
  };
}

/** Cumulative (true positives, false positives) at the end of each block of tied scores. */
function sweep(
  yTrue: ArrayLike<number>,
  yScore: ArrayLike<number>,
): { blocks: [number, number][]; positives: number; negatives: number } {
  const idx: number[] = [];
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    if (t === IGNORE_LABEL) continue;
    if (t !== 0 && t !== 1)
      throw new InputError({
        field: "yTrue",
        row: i + 1,
        expected: `0, 1 or ${IGNORE_LABEL}`,
        found: describeValue(t),
      });
    if (!Number.isFinite(yScore[i]))
      throw new InputError({
        field: "yScore",
        row: i + 1,
        expected: "a finite score",
        found: describeValue(yScore[i]),
      });
    idx.push(i);
  }
  idx.sort((a, b) => yScore[b] - yScore[a]);
  const blocks: [number, number][] = [];
  let tp = 0,
    fp = 0;
  for (let k = 0; k < idx.length; k++) {
    if (yTrue[idx[k]] === 1) tp++;
    else fp++;
    if (k === idx.length - 1 || yScore[idx[k + 1]] !== yScore[idx[k]]) blocks.push([tp, fp]);
  }
  return { blocks, positives: tp, negatives: fp };
}

/**
 * A result that hands out each label's test labels and scores: `probe(...)`, `study.probe(name)`, an
 * external validation or a fine-tuning run (eval's `label(name)`).
 */
export interface LabelledResult {
  /** Legend name (a study's probe carries its model's; give one to a plain `probe` result). */
  model?: string;
  perLabel: readonly { name: string }[];
  label(name: string): { yTrue: ArrayLike<number>; yScore: ArrayLike<number> };
}

/** What the curve builders take: labels and scores, or results, of one model or several. */
export type CurveInput = ScoredLabels | LabelledResult | readonly (ScoredLabels | LabelledResult)[];

/**
 * ROC curves per label (a panel each) for one or several models:
 * `rocCurves([await study.probe("MSN"), await study.probe("MSN+demographics")], { labels: ["Edema"] })`.
 */
export function rocCurves(input: CurveInput, opts: CurveOptions = {}): Figure {
  return curveGrid("roc", input, opts);
}

/** Precision-recall curves per label for one or several models; the dashed line is the prevalence. */
export function prCurves(input: CurveInput, opts: CurveOptions = {}): Figure {
  return curveGrid("pr", input, opts);
}

/** One model's labels and a reader of one label's column. */
interface LabelColumns {
  model?: string;
  labels: readonly string[];
  column(label: string, field: "yTrue" | "yScore"): ArrayLike<number>;
}

function isResult(x: ScoredLabels | LabelledResult): x is LabelledResult {
  return typeof (x as LabelledResult).label === "function" && Array.isArray((x as LabelledResult).perLabel);
}

/** A result read through its `label`, or labels and scores given as rows or one row-major array. */
function labelColumns(m: ScoredLabels | LabelledResult): LabelColumns {
  if (isResult(m)) return { model: m.model, labels: m.perLabel.map((l) => l.name), column: (l, f) => m.label(l)[f] };
  return { model: m.model, labels: m.labels, column: (l, f) => column(m[f], m.labels.indexOf(l), m.labels.length, f) };
}

function curveGrid(kind: "roc" | "pr", input: CurveInput, opts: CurveOptions): Figure {
  const models = (Array.isArray(input) ? (input as readonly (ScoredLabels | LabelledResult)[]) : [input]).map((m) =>
    labelColumns(m as ScoredLabels | LabelledResult),
  );
  if (models.length === 0)
    throw new InputError({ field: "input", expected: "at least one model's labels and scores", found: "none" });
  if (opts.labels !== undefined && (!Array.isArray(opts.labels) || opts.labels.length === 0))
    throw new InputError({ field: "labels", expected: "at least one label name", found: describeValue(opts.labels) });
  const labels = opts.labels ?? models[0].labels;
  models.forEach((m, k) => {
    const missing = labels.filter((l) => !m.labels.includes(l));
    const same = opts.labels !== undefined || m.labels.length === labels.length;
    if (missing.length > 0 || !same) {
      throw new InputError({
        field: `input[${k}].labels`,
        expected: `the labels ${labels.join(", ")}`,
        found: m.labels.join(", "),
        hint: missing.length > 0 ? `missing: ${missing.join(", ")}` : undefined,
      });
    }
  });
  const names = models.map((m, k) => m.model ?? (models.length > 1 ? `model ${k + 1}` : "model"));
  const colors = colorMap(names);
  const cols = Math.min(opts.columns ?? 4, labels.length);
  const grid = subplotGrid(Math.ceil(labels.length / cols), cols, { hgap: 0.05, vgap: 0.12 });
  const maxPoints = opts.maxPoints ?? 300;
  const traces: Trace[] = [];
  const annotations: Record<string, unknown>[] = [];
  const areaName = kind === "roc" ? "AUROC" : "AP";
  labels.forEach((label, j) => {
    const panel = grid.panels[j];
    let prevalence = NaN;
    let missingClass = false;
    models.forEach((m, k) => {
      const pts = (kind === "roc" ? rocPoints : prPoints)(m.column(label, "yTrue"), m.column(label, "yScore"));
      if (k === 0) prevalence = pts.positives / (pts.positives + pts.negatives);
      if (Number.isNaN(pts.area)) {
        missingClass = true;
        return;
      }
      const { x, y } = thinEvenly(pts, maxPoints);
      traces.push({
        type: "scatter",
        mode: "lines",
        name: names[k],
        legendgroup: names[k],
        showlegend: j === 0,
        line: { color: colors.get(names[k]), width: 1.8, shape: kind === "pr" ? "hv" : "linear" },
        x: x.map((v) => round(v, 4)),
        y: y.map((v) => round(v, 4)),
        xaxis: panel.x,
        yaxis: panel.y,
        hovertemplate: `${escapeText(label)} · ${escapeText(names[k])}<br>${kind === "roc" ? "FPR %{x:.3f}, TPR %{y:.3f}" : "recall %{x:.3f}, precision %{y:.3f}"}<br>${areaName} ${pts.area.toFixed(3)}<extra></extra>`,
      });
    });
    const reference = kind === "roc" ? { x: [0, 1], y: [0, 1] } : { x: [0, 1], y: [prevalence, prevalence] };
    if (kind === "roc" || Number.isFinite(prevalence)) {
      traces.push({
        type: "scatter",
        mode: "lines",
        name: kind === "roc" ? "chance" : "prevalence",
        legendgroup: "reference",
        showlegend: j === 0,
        line: { color: "#999", dash: "dash", width: 1 },
        hoverinfo: "skip",
        xaxis: panel.x,
        yaxis: panel.y,
        ...reference,
      });
    }
    annotations.push(panelTitle(missingClass ? `${label} (one class only: no curve)` : label, grid.layout, panel));
    const xa = grid.layout[panel.xaxis] as Record<string, unknown>;
    const ya = grid.layout[panel.yaxis] as Record<string, unknown>;
    xa.range = [0, 1];
    ya.range = [0, 1.02];
    if (j + cols >= labels.length) xa.title = { text: kind === "roc" ? "False positive rate" : "Recall" };
    if (panel.col === 0) ya.title = { text: kind === "roc" ? "True positive rate" : "Precision" };
  });
  const rows = Math.ceil(labels.length / cols);
  return {
    data: traces,
    layout: {
      ...baseLayout(opts.title ?? (kind === "roc" ? "ROC curves per label" : "Precision-recall curves per label")),
      ...grid.layout,
      annotations,
      height: 240 * rows + 140,
    },
    config: { responsive: true, displaylogo: false },
  };
}

/** Column j of n x L values given as rows or as one row-major array. */
function column(m: readonly ArrayLike<number>[] | ArrayLike<number>, j: number, L: number, field: string): number[] {
  if (Array.isArray(m) && m.length > 0 && typeof m[0] === "object") {
    return (m as readonly ArrayLike<number>[]).map((row, i) => {
      if (row.length !== L)
        throw new InputError({ field, row: i + 1, expected: `${L} values (one per label)`, found: `${row.length}` });
      return row[j];
    });
  }
  const flat = m as ArrayLike<number>;
  if (flat.length % L !== 0)
    throw new InputError({ field, expected: `rows x ${L} values (one per label)`, found: `${flat.length} values` });
  const out = new Array<number>(flat.length / L);
  for (let i = 0; i < out.length; i++) out[i] = flat[i * L + j];
  return out;
}
