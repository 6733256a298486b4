/**
 * A table of numbers as a heatmap: label co-occurrence, label prevalence by an EHR field, crosstabs.
 * The table's first column names the rows; every other numeric column is a column of the map.
 */
import { InputError, describeValue } from "../util/errors";
import { checkOneOf } from "../util/validate";
import { baseLayout, escapeText, Figure, round } from "./figure";
import { columnsOf, TableInput } from "./table";

export interface HeatmapOptions {
  title?: string;
  /** The column naming the rows; default the first column. */
  rowColumn?: string;
  /** The columns drawn; default every numeric column but the row names. */
  columns?: readonly string[];
  /** What a cell's number is (colour bar and hover); default "value". */
  valueLabel?: string;
  /** `count` writes cells as integers, `fraction` as percentages; default `count` when all are integers. */
  format?: "count" | "fraction";
}

/**
 * One cell per (row, column) of `table`, coloured by its value (light to dark blue), with the value
 * written in it; missing or NaN cells stay blank. Row order is the table's, top to bottom.
 */
export function heatmap(table: TableInput, opts: HeatmapOptions = {}): Figure {
  const cols = columnsOf(table);
  const rowColumn = opts.rowColumn ?? cols.names[0];
  const rowNames = cols.get(rowColumn);
  if (!rowNames) throw new InputError({ field: "rowColumn", expected: "a column of the table", found: rowColumn });
  const names = opts.columns ?? cols.names.filter((c) => c !== rowColumn && isNumeric(cols.get(c)!));
  if (names.length === 0)
    throw new InputError({ field: "columns", expected: "at least one numeric column to draw", found: "none" });
  const z: (number | null)[][] = Array.from({ length: cols.n }, () => []);
  for (const c of names) {
    const values = cols.get(c);
    if (!values) throw new InputError({ field: "columns", expected: "columns of the table", found: describeValue(c) });
    for (let i = 0; i < cols.n; i++) {
      const v = values[i];
      z[i].push(typeof v === "number" && Number.isFinite(v) ? v : null);
    }
  }
  const allIntegers = z.every((r) => r.every((v) => v === null || Number.isInteger(v)));
  const format = checkOneOf(opts.format ?? (allIntegers ? "count" : "fraction"), "format", [
    "count",
    "fraction",
  ] as const);
  const show = (v: number | null) => (v === null ? "" : format === "count" ? String(v) : `${round(100 * v, 1)}%`);
  const label = opts.valueLabel ?? "value";
  const y = Array.from({ length: cols.n }, (_, i) => escapeText(String(rowNames[i])));
  return {
    data: [
      {
        type: "heatmap",
        x: names.map(escapeText),
        y,
        z: z.map((r) => r.map((v) => (v === null ? null : round(v, 6)))),
        text: z.map((r) => r.map(show)),
        texttemplate: "%{text}",
        hovertemplate: `%{y} / %{x}<br>${escapeText(label)}: %{text}<extra></extra>`,
        colorscale: "Blues",
        colorbar: { title: { text: escapeText(label) } },
        xgap: 1,
        ygap: 1,
      },
    ],
    layout: baseLayout(opts.title, {
      xaxis: { side: "bottom", tickangle: -40, automargin: true },
      yaxis: { autorange: "reversed", automargin: true },
      height: Math.max(300, 40 + 28 * cols.n),
    }),
    config: { responsive: true, displaylogo: false },
  };
}

function isNumeric(values: ArrayLike<unknown>): boolean {
  let seen = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v !== "number") return false;
    seen = true;
  }
  return seen;
}
