/**
 * Progress of long work (data generation, cache builds, training), shown in place.
 *
 * The layers that do the work only call `progress(...)`; how it is drawn is decided by
 * the renderer factory, which defaults to the terminal and is replaced by the notebook
 * layer when a Jupyter kernel is running (that keeps lower layers free of notebook code).
 */
export interface ProgressState {
  label: string;
  done: number;
  total: number | undefined;
  unit: string;
  elapsedMs: number;
  /** Units per second since the start. */
  rate: number;
  /** Estimated time left, when the total is known. */
  etaMs: number | undefined;
  fields: Record<string, string | number>;
  finished: boolean;
}

export interface ProgressRenderer {
  render(state: ProgressState): void;
}

export type ProgressRendererFactory = (label: string) => ProgressRenderer;

export interface ProgressOptions {
  unit?: string;
  /** Draw nothing (the state is still kept). Defaults to the EHR_MSN_QUIET environment variable. */
  quiet?: boolean;
  /** Least time between two redraws; default 100 ms (Jupyter front ends choke on faster streams). */
  minIntervalMs?: number;
}

let factory: ProgressRendererFactory = (label) => new TerminalRenderer(label);

/** Replaces how progress is drawn; `undefined` restores the terminal renderer. */
export function setProgressRenderer(f: ProgressRendererFactory | undefined): void {
  factory = f ?? ((label) => new TerminalRenderer(label));
}

export class Progress {
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly renderer: ProgressRenderer | undefined;
  private readonly minIntervalMs: number;
  done = 0;
  fields: Record<string, string | number> = {};

  constructor(
    readonly label: string,
    readonly total: number | undefined,
    private readonly unit: string,
    opts: ProgressOptions,
  ) {
    const quiet = opts.quiet ?? Boolean(process.env.EHR_MSN_QUIET);
    this.renderer = quiet ? undefined : factory(label);
    this.minIntervalMs = opts.minIntervalMs ?? 100;
  }

  /** Adds `n` units of work done. */
  tick(n = 1, fields?: Record<string, string | number>): void {
    this.set(this.done + n, fields);
  }

  /** Sets the units of work done so far. */
  set(done: number, fields?: Record<string, string | number>): void {
    this.done = done;
    if (fields) this.fields = { ...this.fields, ...fields };
    const now = Date.now();
    if (now - this.lastDraw >= this.minIntervalMs) {
      this.lastDraw = now;
      this.renderer?.render(this.state(false));
    }
  }

  finish(fields?: Record<string, string | number>): ProgressState {
    if (fields) this.fields = { ...this.fields, ...fields };
    const s = this.state(true);
    this.renderer?.render(s);
    return s;
  }

  state(finished: boolean): ProgressState {
    const elapsedMs = Date.now() - this.start;
    const rate = elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0;
    const etaMs = this.total !== undefined && rate > 0 ? ((this.total - this.done) * 1000) / rate : undefined;
    return {
      label: this.label,
      done: this.done,
      total: this.total,
      unit: this.unit,
      elapsedMs,
      rate,
      etaMs,
      fields: this.fields,
      finished,
    };
  }
}

export function progress(label: string, total?: number, opts: ProgressOptions = {}): Progress {
  return new Progress(label, total, opts.unit ?? "it", opts);
}

/** One line: `label  120/500 it  24%  31.2 it/s  ETA 12s  loss=6.93`. */
export function formatProgress(s: ProgressState): string {
  const count = s.total !== undefined ? `${s.done}/${s.total} ${s.unit}` : `${s.done} ${s.unit}`;
  const pct = s.total ? ` ${Math.floor((100 * s.done) / s.total)}%` : "";
  const rate = ` ${s.rate >= 10 ? s.rate.toFixed(0) : s.rate.toFixed(2)} ${s.unit}/s`;
  const time = s.finished
    ? ` in ${formatDuration(s.elapsedMs)}`
    : s.etaMs !== undefined
      ? ` ETA ${formatDuration(s.etaMs)}`
      : "";
  const fields = Object.entries(s.fields)
    .map(([k, v]) => ` ${k}=${typeof v === "number" ? formatNumber(v) : v}`)
    .join("");
  return `${s.label}  ${count}${pct}${rate}${time}${fields}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Integers as they are, other numbers to 4 significant digits (loss=6.935, img/s=463.8, lr=0.0005). */
function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e5)) return v.toExponential(2);
  return a >= 1000 ? v.toFixed(1) : String(Number(v.toPrecision(4)));
}

/**
 * Redraws in place on a TTY; elsewhere (CI logs) prints a line at most every 5 s and at the end, so a
 * task shorter than 5 s leaves one line.
 */
class TerminalRenderer implements ProgressRenderer {
  private lastLine = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(readonly label: string) {}

  render(s: ProgressState): void {
    const line = formatProgress(s);
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${line}${s.finished ? "\n" : ""}`);
      return;
    }
    const now = Date.now();
    if (s.finished || now - this.lastLine >= 5000) {
      this.lastLine = now;
      process.stderr.write(`${line}\n`);
    }
  }
}
