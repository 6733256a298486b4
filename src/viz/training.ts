/**
 * Live training curves: a figure that grows while training runs. `append` adds a point to each
 * metric given; whoever shows the figure (the notebook layer's `show`) subscribes and redraws it in
 * place. The figure itself is plain data, so it also goes into static reports.
 */
import { InputError, describeValue } from "../util/errors";
import { baseLayout, colorMap, Figure, panelTitle, round, subplotGrid, thinEvenly, Trace } from "./figure";

export interface TrainingCurvesOptions {
  title?: string;
  /**
   * Metrics drawn together in one panel, e.g. [["train loss", "val loss"], ["lr"]]. Metrics not
   * listed get a panel of their own, in order of first appearance.
   */
  panels?: readonly (readonly string[])[];
  /** Name of the x axis; default "step". */
  x?: string;
  /** Most points drawn per metric (older points evenly thinned); default 2000. */
  maxPoints?: number;
}

type Listener = (curves: TrainingCurves) => void;

/** A growing set of metric series; `figure()` renders them, subscribers hear of every change. */
export class TrainingCurves {
  private readonly series = new Map<string, { x: number[]; y: number[] }>();
  private readonly listeners = new Set<Listener>();
  private finishedFlag = false;

  constructor(readonly options: TrainingCurvesOptions = {}) {}

  /** Adds the values of one step (non-finite values, e.g. a diverged loss, are kept as gaps). */
  append(step: number, values: Readonly<Record<string, number>>): this {
    if (typeof step !== "number" || !Number.isFinite(step))
      throw new InputError({ field: "step", expected: "a finite number", found: describeValue(step) });
    for (const [name, v] of Object.entries(values)) {
      if (typeof v !== "number") throw new InputError({ field: name, expected: "a number", found: describeValue(v) });
      let s = this.series.get(name);
      if (!s) this.series.set(name, (s = { x: [], y: [] }));
      s.x.push(step);
      s.y.push(v);
    }
    this.emit();
    return this;
  }

  /** Marks the run as over (the title says so) and redraws a last time. */
  finish(): this {
    this.finishedFlag = true;
    this.emit();
    return this;
  }

  get finished(): boolean {
    return this.finishedFlag;
  }

  /** Metric names in order of first appearance. */
  metrics(): string[] {
    return [...this.series.keys()];
  }

  /** The last value of a metric, if any. */
  last(metric: string): number | undefined {
    const s = this.series.get(metric);
    return s && s.y.length > 0 ? s.y[s.y.length - 1] : undefined;
  }

  /** Calls `listener` after every change; returns the function that unsubscribes. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The curves as a Plotly figure, one panel per metric group, sharing the x axis. */
  figure(): Figure {
    const groups = this.panelGroups();
    const rows = Math.max(groups.length, 1);
    const grid = subplotGrid(rows, 1, { vgap: 0.08 });
    const colors = colorMap(this.metrics());
    const traces: Trace[] = [];
    const annotations: Record<string, unknown>[] = [];
    const maxPoints = this.options.maxPoints ?? 2000;
    groups.forEach((group, r) => {
      const panel = grid.panels[r];
      for (const name of group) {
        const s = this.series.get(name);
        if (!s) continue;
        const { x, y } = thinEvenly(s, maxPoints);
        traces.push({
          type: "scatter",
          mode: x.length > 1 ? "lines" : "markers",
          name,
          x,
          y: y.map((v) => (Number.isFinite(v) ? round(v, 6) : null)),
          xaxis: panel.x,
          yaxis: panel.y,
          line: { color: colors.get(name), width: 1.6 },
          marker: { color: colors.get(name) },
          hovertemplate: `${name}<br>${this.options.x ?? "step"} %{x}: %{y:.4g}<extra></extra>`,
        });
      }
      annotations.push(panelTitle(group.join(", "), grid.layout, panel));
      const xa = grid.layout[panel.xaxis] as Record<string, unknown>;
      if (r > 0) xa.matches = "x";
      if (r === rows - 1) xa.title = { text: this.options.x ?? "step" };
      (grid.layout[panel.yaxis] as Record<string, unknown>).title = { text: group.length === 1 ? group[0] : "value" };
    });
    if (traces.length === 0) {
      // Say why the figure is empty rather than draw bare axes (a finished run read back runs no step).
      const panel = grid.panels[0];
      for (const axis of [panel.xaxis, panel.yaxis]) (grid.layout[axis] as Record<string, unknown>).visible = false;
      annotations.push({
        text: this.finishedFlag ? "no steps were run" : "waiting for the first step",
        xref: "paper",
        yref: "paper",
        x: 0.5,
        y: 0.5,
        showarrow: false,
        font: { size: 14, color: "#888" },
      });
    }
    const title = this.options.title ?? "Training";
    return {
      data: traces,
      layout: {
        ...baseLayout(this.finishedFlag ? `${title} (finished)` : title),
        ...grid.layout,
        annotations,
        height: 220 * rows + 110,
        uirevision: "training",
      },
      config: { responsive: true, displaylogo: false },
    };
  }

  private panelGroups(): string[][] {
    const given = (this.options.panels ?? []).map((g) => [...g]);
    const listed = new Set(given.flat());
    const present = given.filter((g) => g.some((m) => this.series.has(m)));
    for (const m of this.metrics()) if (!listed.has(m)) present.push([m]);
    return present;
  }

  private emit(): void {
    for (const l of this.listeners) l(this);
  }
}

/** Live training curves (see `TrainingCurves`): `curves.append(step, { loss })`, then `show(curves)`. */
export function trainingCurves(opts: TrainingCurvesOptions = {}): TrainingCurves {
  return new TrainingCurves(opts);
}
