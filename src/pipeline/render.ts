/**
 * The one HTML and plain-text rendering of results, shared by the static report and the notebook's
 * `show`: figures as a div plus a script calling plotly.js (offline: the library comes from
 * `plotlyLibrary`, inlined, never fetched), tables as HTML tables with identifier columns left out
 * unless asked, and short summaries of anything else.
 */
import * as util from "util";
import { randomBytes } from "crypto";
import { escapeHtml } from "../util/html";
import { Figure, isFigure } from "../viz/figure";
import { columnsOf, isArqueroLike, isDanfoLike, isIdColumn, TableInput } from "../viz/table";
import { plotlyScript } from "./plotly";
import { isResultsTable, resultsTableRows, resultView } from "./resultView";

export interface RenderOptions {
  /** Rows shown of a table; default 20. */
  maxRows?: number;
  /** Keep identifier columns (subject_id, study_id, dicom_id, path, ...) in tables; default false. */
  showIds?: boolean;
}

/** JSON that can sit inside a <script> element: `<`, `>`, `&` and line separators escaped. */
export function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A fresh element id for a figure's div. */
export function newPlotId(): string {
  return `ehr-msn-plot-${randomBytes(6).toString("hex")}`;
}

/**
 * A figure as HTML: a div and a script that draws it with window.Plotly, waiting up to 15 s for
 * the library (it may be loading from an earlier output) before saying what is missing.
 * `includePlotly` puts the library itself in front.
 */
export function figureHtml(fig: Figure, opts: { id?: string; includePlotly?: boolean } = {}): string {
  const id = opts.id ?? newPlotId();
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 450;
  const lib = opts.includePlotly ? `${plotlyScript()}\n` : "";
  return `${lib}<div id="${id}" class="ehr-msn-plot" style="width:100%;height:${height}px;"></div>
<script type="text/javascript">(function () {
  var spec = ${scriptJson({ data: fig.data, layout: fig.layout, config: fig.config ?? {} })};
  var el = document.getElementById(${scriptJson(id)});
  function draw() { window.Plotly.newPlot(el, spec.data, spec.layout, spec.config); }
  if (window.Plotly) { draw(); return; }
  var tries = 0, timer = setInterval(function () {
    if (window.Plotly) { clearInterval(timer); draw(); }
    else if (++tries > 150) { clearInterval(timer); el.innerHTML = "<em>plotly.js is not loaded in this page: re-run the cell (or call initNotebookMode()) to embed it.</em>"; }
  }, 100);
})();</script>`;
}

/** One line about a figure: its title and traces. */
export function figureText(fig: Figure): string {
  const title = (fig.layout.title as { text?: string } | undefined)?.text;
  const kinds = new Map<string, number>();
  for (const t of fig.data) kinds.set(t.type, (kinds.get(t.type) ?? 0) + 1);
  const parts = [...kinds].map(([k, c]) => `${c} ${k}`).join(", ");
  return `Plotly figure${title ? ` "${stripTags(title)}"` : ""}: ${fig.data.length} traces (${parts || "none"})`;
}

function stripTags(s: string): string {
  return s.replace(/<[^>]*>/g, "");
}

/** Something drawable as a figure: a Figure, or an object that renders one (live training curves). */
export function asFigure(x: unknown): Figure | undefined {
  if (isFigure(x)) return x;
  const f = x as { figure?: () => unknown } | null;
  if (typeof f === "object" && f !== null && typeof f.figure === "function") {
    const fig = f.figure();
    if (isFigure(fig)) return fig;
  }
  return undefined;
}

/**
 * Whether `x` is a table: arquero, danfo, a non-empty array of plain row objects, or a plain object
 * of columns (arrays of one length).
 */
export function isTable(x: unknown): x is TableInput {
  if (isArqueroLike(x) || isDanfoLike(x)) return true;
  if (Array.isArray(x)) return x.length > 0 && x.every((r) => r !== null && typeof r === "object" && !Array.isArray(r));
  if (x === null || typeof x !== "object" || Object.getPrototypeOf(x) !== Object.prototype) return false;
  const cols = Object.values(x);
  const isColumn = (c: unknown) => Array.isArray(c) || (ArrayBuffer.isView(c) && !(c instanceof DataView));
  return (
    cols.length > 0 &&
    cols.every(isColumn) &&
    cols.every((c) => (c as ArrayLike<unknown>).length === (cols[0] as ArrayLike<unknown>).length)
  );
}

interface TableView {
  names: string[];
  rows: unknown[][];
  total: number;
  hidden: string[];
}

function tableView(t: TableInput, opts: RenderOptions): TableView {
  const cols = columnsOf(t);
  const hidden = opts.showIds ? [] : cols.names.filter(isIdColumn);
  const names = cols.names.filter((c) => !hidden.includes(c));
  const shown = Math.min(cols.n, opts.maxRows ?? 20);
  const data = names.map((c) => cols.get(c) as ArrayLike<unknown>);
  const rows: unknown[][] = [];
  for (let i = 0; i < shown; i++) rows.push(data.map((c) => c[i]));
  return { names, rows, total: cols.n, hidden };
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number")
    return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function tableNote(v: TableView): string {
  const parts = [`${v.total} rows × ${v.names.length + v.hidden.length} columns`];
  if (v.rows.length < v.total) parts.push(`first ${v.rows.length} shown`);
  if (v.hidden.length > 0)
    parts.push(`identifier columns hidden: ${v.hidden.join(", ")} (pass { showIds: true } to show them)`);
  return parts.join("; ");
}

/** A table as an HTML <table> with a caption that says what was left out. */
export function tableHtml(t: TableInput, opts: RenderOptions = {}): string {
  const v = tableView(t, opts);
  const head = v.names.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = v.rows.map((r) => `<tr>${r.map((x) => `<td>${escapeHtml(cell(x))}</td>`).join("")}</tr>`).join("\n");
  return `<table class="ehr-msn-table">
<caption style="caption-side:bottom;text-align:left;color:#666;font-size:90%">${escapeHtml(tableNote(v))}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}

/** A table as aligned plain text. */
export function tableText(t: TableInput, opts: RenderOptions = {}): string {
  const v = tableView(t, opts);
  const cells = [v.names, ...v.rows.map((r) => r.map(cell))];
  const widths = v.names.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  const line = (r: string[]) =>
    r
      .map((c, j) => c.padEnd(widths[j]))
      .join("  ")
      .trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line), tableNote(v)].join(
    "\n",
  );
}

type Renderable = { toHTML?: () => unknown; html?: () => unknown; summary?: () => unknown; text?: () => unknown };

/**
 * HTML for anything `show` or a report section can hold: a figure (which needs plotly.js loaded,
 * see `figureHtml`), a table, a result (`resultView`), an object with `toHTML()`/`html()` or
 * `summary()`, text, or a plain object (as a two-column table).
 */
export function renderHtml(x: unknown, opts: RenderOptions = {}): string {
  const fig = asFigure(x);
  if (fig) return figureHtml(fig);
  if (isTable(x)) return tableHtml(x, opts);
  if (typeof x === "string") return `<pre style="white-space:pre-wrap">${escapeHtml(x)}</pre>`;
  const view = resultView(x);
  if (view) return view.map((part) => renderHtml(part, opts)).join("\n");
  const r = x as Renderable | null;
  if (r && typeof r === "object") {
    if (typeof r.toHTML === "function") return String(r.toHTML());
    if (typeof r.html === "function") return String(r.html());
    if (typeof r.summary === "function") return renderHtml(r.summary(), opts);
    if (typeof r.text === "function") return `<pre style="white-space:pre-wrap">${escapeHtml(String(r.text()))}</pre>`;
    if (Object.getPrototypeOf(r) === Object.prototype) {
      const rows = Object.entries(r).map(
        ([k, v]) =>
          `<tr><th style="text-align:left">${escapeHtml(k)}</th><td>${escapeHtml(typeof v === "object" && v !== null ? JSON.stringify(v) : cell(v))}</td></tr>`,
      );
      return `<table class="ehr-msn-table">${rows.join("")}</table>`;
    }
  }
  return `<pre>${escapeHtml(renderText(x, opts))}</pre>`;
}

/** Plain text for the same things (terminals, `text/plain`, logs). */
export function renderText(x: unknown, opts: RenderOptions = {}): string {
  const fig = asFigure(x);
  if (fig) return figureText(fig);
  if (isTable(x)) return tableText(x, opts);
  if (typeof x === "string") return x;
  if (isResultsTable(x)) return [tableText(resultsTableRows(x), opts), x.note].filter(Boolean).join("\n");
  const view = resultView(x);
  if (view) return view.map((part) => renderText(part, opts)).join("\n\n");
  const r = x as Renderable | null;
  if (r && typeof r === "object") {
    if (typeof r.text === "function") return String(r.text());
    if (typeof r.summary === "function") return renderText(r.summary(), opts);
    if (!Array.isArray(r) && typeof r.toString === "function" && r.toString !== Object.prototype.toString)
      return String(r);
  }
  return util.inspect(x, { depth: 3, breakLength: 100 });
}
