/**
 * Distributions of the six EHR features by split: the paper's Appendix B, Figure B1 (frequency
 * distributions of age, sex, view, patient position, ICU stay and in-hospital mortality).
 */
import { InputError, describeValue } from "../util/errors";
import { checkNumber, checkOneOf } from "../util/validate";
import {
  baseLayout,
  colorMap,
  legendLayout,
  Figure,
  panelTitle,
  round,
  SPLIT_COLORS,
  subplotGrid,
  Trace,
} from "./figure";
import { columnsOf, isMissing, requireColumn, TableInput } from "./table";

/** One image's EHR fields (what a cohort row holds besides ids and labels). */
export interface EhrRow {
  split?: string;
  age?: number | null;
  sex?: string | null;
  view?: string | null;
  position?: string | null;
  icu?: boolean | number | null;
  mortality?: boolean | number | null;
}

export const EHR_FEATURES = ["age", "sex", "view", "position", "icu", "mortality"] as const;
export type EhrFeature = (typeof EHR_FEATURES)[number];

const TITLES: Record<EhrFeature, string> = {
  age: "Age",
  sex: "Sex",
  view: "View",
  position: "Patient position",
  icu: "ICU stay",
  mortality: "In-hospital mortality",
};

export interface EhrDistributionOptions {
  title?: string;
  /** Features to draw, in order; default all six. */
  features?: readonly EhrFeature[];
  /** Column holding the split; default "split". Without such a column all rows form one group. */
  splitColumn?: string;
  /** The table's column for a feature when it is not named like the feature, e.g. { view: "ViewPosition" }. */
  columnNames?: Partial<Record<EhrFeature, string>>;
  /** `percent` of each split's images (default: splits of different sizes compare), or `count`. */
  normalize?: "percent" | "count";
  /** Width of an age bin: default 5 years, or 0.05 when ages are normalised to [0, 1]. */
  ageBin?: number;
  /** Panels per row; default 3. */
  columns?: number;
}

const SPLIT_ORDER = ["train", "validate", "test"];
const MISSING = "missing";

/**
 * Bar charts of each EHR feature, one bar colour per split (linked legend). Age is binned; the
 * categorical features show every value found, `missing` included, so no row goes unaccounted.
 */
export function ehrDistributions(table: TableInput | readonly EhrRow[], opts: EhrDistributionOptions = {}): Figure {
  const cols = columnsOf(table as TableInput);
  const features = opts.features ?? EHR_FEATURES;
  for (const f of features) checkOneOf(f, "features", EHR_FEATURES);
  const splitName = opts.splitColumn ?? "split";
  const splitCol = cols.get(splitName);
  const splitOf = (i: number) => (splitCol ? (isMissing(splitCol[i]) ? MISSING : String(splitCol[i])) : "all");
  const splitSizes = new Map<string, number>();
  for (let i = 0; i < cols.n; i++) splitSizes.set(splitOf(i), (splitSizes.get(splitOf(i)) ?? 0) + 1);
  const splits = [...splitSizes.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const colors = colorMap(splits, SPLIT_COLORS);
  const percent = (opts.normalize ?? "percent") === "percent";
  const perRow = Math.min(opts.columns ?? 3, features.length);
  const grid = subplotGrid(Math.ceil(features.length / perRow), perRow, { hgap: 0.08, vgap: 0.2 });
  const traces: Trace[] = [];
  const annotations: Record<string, unknown>[] = [];
  features.forEach((feature, k) => {
    const panel = grid.panels[k];
    const values = requireColumn(cols, opts.columnNames?.[feature] ?? feature);
    const { categories, counts, missing } =
      feature === "age" ? binAges(values, opts.ageBin, splitOf) : countCategories(values, feature, splitOf);
    for (const split of splits) {
      const c = categories.map((cat) => counts.get(`${split}\u0000${cat}`) ?? 0);
      const size = splitSizes.get(split) ?? 0;
      const y = c.map((v) => (percent ? round((100 * v) / Math.max(size, 1), 3) : v));
      traces.push({
        type: "bar",
        name: split,
        legendgroup: split,
        showlegend: k === 0,
        marker: { color: colors.get(split) },
        x: categories,
        y,
        customdata: c,
        xaxis: panel.x,
        yaxis: panel.y,
        hovertemplate: `${TITLES[feature]} %{x}<br>${split}: ${percent ? "%{y:.1f}% (%{customdata} images)" : "%{y} images"}<extra></extra>`,
      });
    }
    const title = missing > 0 && feature === "age" ? `${TITLES[feature]} (${missing} missing)` : TITLES[feature];
    annotations.push(panelTitle(title, grid.layout, panel));
    const xa = grid.layout[panel.xaxis] as Record<string, unknown>;
    xa.title = { text: feature === "age" ? ageAxisTitle(values) : TITLES[feature] };
    xa.type = "category";
    const ya = grid.layout[panel.yaxis] as Record<string, unknown>;
    if (panel.col === 0) ya.title = { text: percent ? "% of images in split" : "images" };
    ya.rangemode = "tozero";
  });
  return {
    data: traces,
    layout: {
      ...baseLayout(opts.title ?? "EHR feature distributions by split"),
      ...grid.layout,
      annotations,
      barmode: "group",
      bargap: 0.15,
      legend: legendLayout({ title: { text: "split" } }),
      height: 300 * Math.ceil(features.length / perRow) + 120,
    },
    config: { responsive: true, displaylogo: false },
  };
}

function rank(split: string): number {
  const i = SPLIT_ORDER.indexOf(split);
  return i >= 0 ? i : split === MISSING ? 99 : 50;
}

interface Counted {
  categories: string[];
  /** Keyed `${split}\0${category}`. */
  counts: Map<string, number>;
  missing: number;
}

function countCategories(values: ArrayLike<unknown>, feature: EhrFeature, splitOf: (i: number) => string): Counted {
  const counts = new Map<string, number>();
  const seen = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const cat = isMissing(v) ? MISSING : categoryOf(v, feature, i);
    if (cat === MISSING) missing++;
    seen.set(cat, (seen.get(cat) ?? 0) + 1);
    const key = `${splitOf(i)}\u0000${cat}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // Most frequent first, `missing` last; yes/no features in a fixed order.
  const categories = [...seen.keys()].sort(
    (a, b) =>
      (a === MISSING ? 1 : 0) - (b === MISSING ? 1 : 0) ||
      yesNoRank(a) - yesNoRank(b) ||
      (seen.get(b) ?? 0) - (seen.get(a) ?? 0),
  );
  return { categories, counts, missing };
}

function yesNoRank(c: string): number {
  return c === "no" ? 0 : c === "yes" ? 1 : 0;
}

function categoryOf(v: unknown, feature: EhrFeature, row: number): string {
  if (feature === "icu" || feature === "mortality") {
    if (v === true || v === 1 || v === "1" || v === "yes" || v === "true") return "yes";
    if (v === false || v === 0 || v === "0" || v === "no" || v === "false") return "no";
    throw new InputError({
      row: row + 1,
      column: feature,
      expected: "0/1, true/false or yes/no",
      found: describeValue(v),
    });
  }
  if (typeof v !== "string" && typeof v !== "number")
    throw new InputError({ row: row + 1, column: feature, expected: "a category (text)", found: describeValue(v) });
  return String(v);
}

function binAges(values: ArrayLike<unknown>, width: number | undefined, splitOf: (i: number) => string): Counted {
  let lo = Infinity,
    hi = -Infinity,
    missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) {
      missing++;
      continue;
    }
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new InputError({
        row: i + 1,
        column: "age",
        expected: "a number (years, or normalised to [0, 1])",
        found: describeValue(v),
      });
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const normalised = lo >= 0 && hi <= 1;
  const w = checkNumber(width ?? (normalised ? 0.05 : 5), "ageBin", { min: 0, minExclusive: true });
  const first = Number.isFinite(lo) ? Math.floor(lo / w) : 0;
  const last = Number.isFinite(hi) ? Math.floor(hi / w) : -1;
  const digits = normalised ? 2 : 0;
  const label = (b: number) => `${(b * w).toFixed(digits)}–${((b + 1) * w).toFixed(digits)}`;
  const categories: string[] = [];
  for (let b = first; b <= last; b++) categories.push(label(b));
  const counts = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    const key = `${splitOf(i)}\u0000${label(Math.floor((v as number) / w))}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { categories, counts, missing };
}

function ageAxisTitle(values: ArrayLike<unknown>): string {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === "number" && Number.isFinite(v) && (v < 0 || v > 1)) return "age (years)";
  }
  return "age (normalised)";
}
