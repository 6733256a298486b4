/**
 * Label prevalence: the share of positive images per label (and split), among the images whose
 * label is known; uncertain labels kept as IGNORE_LABEL are counted and shown, never hidden.
 */
import { InputError, describeValue } from "../util/errors";
import { CHEXPERT_LABELS, IGNORE_LABEL } from "../util/labels";
import { baseLayout, colorMap, legendLayout, Figure, round, SPLIT_COLORS, Trace } from "./figure";
import { columnsOf, isMissing, TableInput } from "./table";

/** Labels as a row-major matrix with its column names (the cohort's `labels(split)` shape). */
export interface LabelMatrix {
  names: readonly string[];
  values: ArrayLike<number>;
}

export interface PrevalenceOptions {
  title?: string;
  /** Label columns of a table; default the 14 CheXpert labels found in it. */
  labels?: readonly string[];
  /** Column with the split (tables); default "split". */
  splitColumn?: string;
  /** The split of each row (label matrices). */
  splits?: ArrayLike<string>;
  /** `prevalence` (default: most frequent first) or `given` (the order of the labels). */
  sort?: "prevalence" | "given";
}

interface Tally {
  positive: number;
  known: number;
  ignored: number;
}

/** Horizontal bars of the positive share per label, one bar per split (linked colours). */
export function labelPrevalence(input: TableInput | LabelMatrix, opts: PrevalenceOptions = {}): Figure {
  const { labels, value, n, splitOf } = readLabels(input, opts);
  const tallies = new Map<string, Tally>();
  const splitNames: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = splitOf(i);
    if (!splitNames.includes(s)) splitNames.push(s);
    labels.forEach((label, j) => {
      const v = value(i, j);
      const key = `${s}\u0000${label}`;
      const t = tallies.get(key) ?? { positive: 0, known: 0, ignored: 0 };
      if (v === IGNORE_LABEL) t.ignored++;
      else if (v === 1) {
        t.positive++;
        t.known++;
      } else if (v === 0) t.known++;
      else
        throw new InputError({
          row: i + 1,
          column: label,
          expected: `0, 1 or ${IGNORE_LABEL} (uncertain, ignored)`,
          found: describeValue(v),
        });
      tallies.set(key, t);
    });
  }
  const order = ["train", "validate", "test"];
  splitNames.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const overall = (label: string) => {
    let p = 0,
      k = 0;
    for (const s of splitNames) {
      const t = tallies.get(`${s}\u0000${label}`);
      p += t?.positive ?? 0;
      k += t?.known ?? 0;
    }
    return k > 0 ? p / k : 0;
  };
  const sorted =
    (opts.sort ?? "prevalence") === "prevalence" ? [...labels].sort((a, b) => overall(b) - overall(a)) : [...labels];
  // Plotly draws the first category at the bottom of a horizontal bar chart: reverse for top-down.
  const yOrder = [...sorted].reverse();
  const colors = colorMap(splitNames, SPLIT_COLORS);
  const traces: Trace[] = splitNames.map((s) => {
    const t = yOrder.map((l) => tallies.get(`${s}\u0000${l}`) ?? { positive: 0, known: 0, ignored: 0 });
    return {
      type: "bar",
      orientation: "h",
      name: s,
      legendgroup: s,
      marker: { color: colors.get(s) },
      y: yOrder,
      x: t.map((v) => (v.known > 0 ? round((100 * v.positive) / v.known, 3) : 0)),
      customdata: t.map((v) => [v.positive, v.known, v.ignored]),
      hovertemplate: `%{y} · ${s}<br>%{x:.1f}% positive (%{customdata[0]} of %{customdata[1]})<br>uncertain, ignored: %{customdata[2]}<extra></extra>`,
    };
  });
  return {
    data: traces,
    layout: {
      ...baseLayout(opts.title ?? "Label prevalence"),
      barmode: "group",
      xaxis: { title: { text: "% positive (of images with a known label)" }, rangemode: "tozero", automargin: true },
      yaxis: {
        title: { text: "label" },
        automargin: true,
        type: "category",
        categoryorder: "array",
        categoryarray: yOrder,
      },
      legend: legendLayout({ title: { text: "split" } }),
      height: Math.max(320, 28 * labels.length * Math.max(1, splitNames.length * 0.6) + 120),
    },
    config: { responsive: true, displaylogo: false },
  };
}

/** A label matrix has exactly `names` (strings) and `values`; a table of columns has other keys. */
function isLabelMatrix(x: unknown): x is LabelMatrix {
  const m = x as LabelMatrix;
  return (
    typeof m === "object" &&
    m !== null &&
    !Array.isArray(m) &&
    Object.keys(m).sort().join() === "names,values" &&
    Array.isArray(m.names) &&
    m.names.every((l) => typeof l === "string") &&
    typeof m.values?.length === "number"
  );
}

function readLabels(input: TableInput | LabelMatrix, opts: PrevalenceOptions) {
  if (isLabelMatrix(input)) {
    const L = input.names.length;
    if (L === 0 || input.values.length % L !== 0) {
      throw new InputError({
        field: "values",
        expected: `a multiple of ${L} values (rows x labels)`,
        found: `${input.values.length}`,
      });
    }
    const n = input.values.length / L;
    if (opts.splits && opts.splits.length !== n)
      throw new InputError({ field: "splits", expected: `${n} entries (one per row)`, found: `${opts.splits.length}` });
    const names = opts.labels ?? input.names;
    const idx = names.map((l) => {
      const j = input.names.indexOf(l);
      if (j < 0)
        throw new InputError({
          field: "labels",
          expected: `names among ${input.names.join(", ")}`,
          found: describeValue(l),
        });
      return j;
    });
    return {
      labels: [...names],
      n,
      value: (i: number, j: number) => input.values[i * L + idx[j]],
      splitOf: (i: number) => (opts.splits ? String(opts.splits[i]) : "all"),
    };
  }
  const cols = columnsOf(input);
  const labels = opts.labels ?? CHEXPERT_LABELS.filter((l) => cols.names.includes(l));
  if (labels.length === 0)
    throw new InputError({
      field: "labels",
      expected: "label columns (the CheXpert label names by default)",
      found: `columns ${cols.names.join(", ") || "none"}`,
    });
  const data = labels.map((l) => {
    const c = cols.get(l);
    if (!c)
      throw new InputError({ column: l, expected: `a label column "${l}"`, found: `columns ${cols.names.join(", ")}` });
    return c;
  });
  const split = cols.get(opts.splitColumn ?? "split");
  return {
    labels: [...labels],
    n: cols.n,
    value: (i: number, j: number) => {
      const v = data[j][i];
      return isMissing(v) ? NaN : Number(v);
    },
    splitOf: (i: number) => (split ? (isMissing(split[i]) ? "missing" : String(split[i])) : "all"),
  };
}
