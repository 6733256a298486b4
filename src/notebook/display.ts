/**
 * Rich display in tslab cells: `show(x)` sends one output holding several MIME types, so every
 * front end picks what it renders (JupyterLab with jupyterlab-plotly and VS Code: the Plotly JSON;
 * classic Notebook and nbconvert's HTML export: the text/html with plotly.js inlined; terminals and
 * GitHub: the text/plain). Outside a kernel `show` prints the plain text instead.
 *
 * tslab's public display API sends one MIME type per call; a bundle goes through its internal
 * `dist/jupyter.js` `lastWriteDisplayData`, found next to the tslab module the kernel itself loaded
 * (tslab keeps multi-MIME output in its internal dist/jupyter.js). Updates in place use display ids (update_display_data):
 * live figures and the progress lines of `util/progress`.
 */
import * as path from "path";
import { formatProgress, ProgressRenderer, ProgressState, setProgressRenderer } from "../util/progress";
import { escapeHtml } from "../util/html";
import { plotlyScript, plotlyVersion } from "../pipeline/plotly";
import { asFigure, figureHtml, figureText, newPlotId, renderHtml, renderText, RenderOptions } from "../pipeline/render";

export type MimeBundle = Record<string, unknown>;

interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}
type WriteDisplayData = (msg: DisplayMessage, update: boolean) => void;

/** Whether this process is a tslab kernel (tslab sets globalThis.__tslab__ before any cell runs). */
export function inKernel(): boolean {
  return Boolean((globalThis as { __tslab__?: unknown }).__tslab__);
}

let jupyterModule: { lastWriteDisplayData: WriteDisplayData | null } | null | undefined;

/** The kernel's display writer, or undefined outside a kernel or before its first cell. */
function writer(): WriteDisplayData | undefined {
  if (!inKernel()) return undefined;
  if (jupyterModule === undefined) {
    jupyterModule = null;
    // The hooked require returns the kernel's own tslab; its jupyter.js holds the live writer.
    const pub = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__?.require?.("tslab");
    for (const [file, mod] of Object.entries(require.cache)) {
      if (pub && mod?.exports === pub) {
        jupyterModule = require(path.join(path.dirname(file), "jupyter.js"));
        break;
      }
    }
  }
  return jupyterModule?.lastWriteDisplayData ?? undefined;
}

/** Sends a bundle; false when there is no kernel to send it to. */
function send(data: MimeBundle, displayId?: string, update = false): boolean {
  const write = writer();
  if (!write) return false;
  write({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
  return true;
}

export interface ShowOptions extends RenderOptions {
  /**
   * Inline plotly.js (4.8 MB) in this figure's HTML: default only for the first figure of a kernel
   * session; `true` makes an output that stands alone when copied elsewhere.
   */
  inlinePlotly?: boolean;
}

/**
 * The MIME bundle of `x`: for a figure application/vnd.plotly.v1+json, text/html (a div and a
 * script; plotly.js in front when `inlinePlotly`) and text/plain; for anything else text/html
 * (tables, summaries) and text/plain.
 */
export function mimeBundle(x: unknown, opts: ShowOptions = {}): MimeBundle {
  const fig = asFigure(x);
  if (fig) {
    return {
      "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout, config: fig.config ?? {} },
      "text/html": figureHtml(fig, { includePlotly: opts.inlinePlotly ?? false }),
      "text/plain": figureText(fig),
    };
  }
  if (typeof x === "string") return { "text/plain": x };
  return { "text/html": renderHtml(x, opts), "text/plain": renderText(x, opts) };
}

let plotlyInlined = false;

/**
 * Shows `x` in the cell: a Plotly figure, live training curves (kept up to date in place as they
 * grow), an arquero table or danfo DataFrame, an object with toHTML()/html()/summary(), or text.
 * Outside a kernel it prints the plain-text rendering.
 */
export function show(x: unknown, opts: ShowOptions = {}): void {
  if (isLive(x)) {
    showLive(x, opts);
    return;
  }
  const fig = asFigure(x);
  const inline = fig !== undefined && (opts.inlinePlotly ?? !plotlyInlined);
  if (!send(mimeBundle(x, { ...opts, inlinePlotly: inline }))) {
    console.log(renderText(x, opts));
    return;
  }
  if (inline) plotlyInlined = true;
}

/**
 * Embeds plotly.js again with the next figure (or now, as its own output, with `now`): after
 * outputs were cleared, or to make the saved notebook's HTML stand alone.
 */
export function initNotebookMode(opts: { now?: boolean } = {}): void {
  plotlyInlined = false;
  if (opts.now) ensurePlotlyLoaded();
}

/** Sends plotly.js as an output of its own, once per kernel session (for live displays). */
function ensurePlotlyLoaded(): void {
  if (plotlyInlined) return;
  const sent = send({
    "text/html": `${plotlyScript()}<span style="display:none">plotly.js ${escapeHtml(plotlyVersion())}</span>`,
    "text/plain": `(plotly.js ${plotlyVersion()} loaded for the figures below)`,
  });
  if (sent) plotlyInlined = true;
}

/** An output that can be replaced in place (`update`), e.g. a figure redrawn while training runs. */
export class LiveDisplay {
  readonly id = newPlotId().replace("ehr-msn-plot-", "ehr-msn-display-");
  private shown = false;

  /** Shows `x` (first call) or replaces what this display shows (later calls). */
  update(x: unknown, opts: ShowOptions = {}): void {
    if (asFigure(x)) ensurePlotlyLoaded();
    this.updateBundle(mimeBundle(x, { ...opts, inlinePlotly: false }), () => renderText(x, opts));
  }

  /** Shows or replaces a ready bundle; outside a kernel prints `fallback()` instead. */
  updateBundle(bundle: MimeBundle, fallback: () => string = () => String(bundle["text/plain"] ?? "")): void {
    if (send(bundle, this.id, this.shown)) this.shown = true;
    else console.log(fallback());
  }
}

/** A new in-place display: `const d = liveDisplay(); d.update(fig); ...; d.update(fig2)`. */
export function liveDisplay(): LiveDisplay {
  return new LiveDisplay();
}

/** Something that renders a figure and announces its changes (viz.TrainingCurves). */
interface Live {
  figure(): unknown;
  subscribe(listener: () => void): () => void;
  readonly finished?: boolean;
}

function isLive(x: unknown): x is Live {
  const l = x as Live | null;
  return typeof l === "object" && l !== null && typeof l.figure === "function" && typeof l.subscribe === "function";
}

/** Least time between two redraws of a live figure (front ends lag behind faster updates). */
const LIVE_INTERVAL_MS = 500;
const live = new WeakMap<object, LiveDisplay>();

/**
 * A live figure while it grows is sent as HTML (a div and a script) without the Plotly MIME type:
 * jupyterlab-plotly draws a figure once and ignores later updates of the same output, while
 * JupyterLab re-renders an HTML output on every update. Once finished it is sent whole, so the
 * notebook keeps the Plotly figure (JupyterLab then swaps in jupyterlab-plotly's renderer).
 */
function drawLive(display: LiveDisplay, x: Live, opts: ShowOptions): void {
  const fig = asFigure(x.figure());
  if (!fig || x.finished) {
    display.update(x.figure(), opts);
    return;
  }
  ensurePlotlyLoaded();
  display.updateBundle({ "text/html": figureHtml(fig), "text/plain": figureText(fig) }, () => figureText(fig));
}

function showLive(x: Live, opts: ShowOptions): void {
  const shown = live.get(x);
  if (shown) {
    drawLive(shown, x, opts);
    return;
  }
  const display = new LiveDisplay();
  live.set(x, display);
  drawLive(display, x, opts);
  if (!inKernel()) return;
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const redraw = () => {
    timer = undefined;
    last = Date.now();
    drawLive(display, x, opts);
  };
  x.subscribe(() => {
    if (x.finished) {
      if (timer) clearTimeout(timer);
      redraw();
    } else if (Date.now() - last >= LIVE_INTERVAL_MS) {
      redraw();
    } else if (!timer) {
      timer = setTimeout(redraw, LIVE_INTERVAL_MS - (Date.now() - last));
      timer.unref();
    }
  });
}

/** A progress line in a cell, redrawn in place through one display id. */
class NotebookProgress implements ProgressRenderer {
  private readonly display = new LiveDisplay();

  render(s: ProgressState): void {
    const line = formatProgress(s);
    const bar = s.total
      ? `<progress value="${s.done}" max="${s.total}" style="width:16em;vertical-align:middle"></progress> `
      : "";
    this.display.updateBundle(
      {
        "text/html": `<div style="font-family:monospace;font-size:90%">${bar}${escapeHtml(line)}</div>`,
        "text/plain": line,
      },
      () => line,
    );
  }
}

/**
 * Makes `progress()` calls anywhere in the library draw one line per task in the running cell,
 * updated in place, instead of a stream of text. Done when this module loads inside tslab;
 * returns whether it was registered.
 */
export function registerNotebookProgress(): boolean {
  if (!inKernel()) return false;
  setProgressRenderer(() => new NotebookProgress());
  return true;
}

registerNotebookProgress();
