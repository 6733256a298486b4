/**
 * `summary()`: counts per split, label prevalence and feature distributions, free of any id, as plain
 * data with a short text and HTML rendering.
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { IGNORE_LABEL } from "../util/labels";
import type { CohortSummary } from "./types";
import { escapeHtml } from "../util/html";

const op = aq.op;

/**
 * Summarises `table` (columns `split`, the labels, `age` when present, and the categorical
 * `categorical` columns); per split and over "all".
 */
export function summarize(
  table: ColumnTable,
  labelNames: readonly string[],
  categorical: readonly string[],
): CohortSummary {
  const has = (c: string) => table.columnNames().includes(c);
  // Each measure per split, then over the whole table as "all" (`by` gets the grouping columns).
  const both = (f: (by: string[]) => ColumnTable): Record<string, unknown>[] => [
    ...(f(["split"]).objects() as Record<string, unknown>[]),
    ...(f([]).objects() as Record<string, unknown>[]).map((r) => ({ ...r, split: "all" })),
  ];
  const grouped = (by: string[]) => (by.length ? table.groupby(by) : table);
  const counts = both((by) =>
    grouped(by).rollup({
      images: op.count(),
      studies: has("study_id") ? op.distinct("study_id") : op.count(),
      patients: has("subject_id") ? op.distinct("subject_id") : op.count(),
    }),
  ) as { split: string; images: number; studies: number; patients: number }[];
  const splits: CohortSummary["splits"] = {};
  for (const r of counts) splits[r.split] = { images: r.images, studies: r.studies, patients: r.patients };

  const labels: CohortSummary["labels"] = [];
  const splitCol = table.array("split") as string[];
  for (const label of labelNames) {
    const col = table.array(label) as ArrayLike<number>;
    const acc = new Map<string, { positive: number; ignored: number; n: number }>([
      ["all", { positive: 0, ignored: 0, n: 0 }],
    ]);
    for (let i = 0; i < col.length; i++) {
      const a = acc.get(splitCol[i]) ?? acc.set(splitCol[i], { positive: 0, ignored: 0, n: 0 }).get(splitCol[i])!;
      for (const x of [a, acc.get("all")!]) {
        x.n++;
        if (col[i] === 1) x.positive++;
        else if (col[i] === IGNORE_LABEL) x.ignored++;
      }
    }
    for (const [split, a] of acc)
      labels.push({
        label,
        split,
        positive: a.positive,
        ignored: a.ignored,
        prevalence: a.n > a.ignored ? a.positive / (a.n - a.ignored) : NaN,
      });
  }

  const age = has("age")
    ? (both((by) =>
        grouped(by).rollup({ mean: op.mean("age"), sd: op.stdev("age"), min: op.min("age"), max: op.max("age") }),
      ) as CohortSummary["features"]["age"])
    : [];
  const cat: CohortSummary["features"]["counts"] = {};
  for (const c of categorical.filter(has)) {
    cat[c] = {};
    for (const r of both((by) => table.groupby([...by, c]).count())) {
      const v = String(r[c]);
      (cat[c][v] ??= {})[r.split as string] = r.count as number;
    }
  }
  const summary = { splits, labels, features: { age, counts: cat } };
  return { ...summary, text: () => summaryText(summary), html: () => summaryHtml(summary) };
}

type Plain = Omit<CohortSummary, "text" | "html">;

const SPLIT_ORDER = ["train", "validate", "test", "all"];
function splitNames(s: Plain): string[] {
  return SPLIT_ORDER.filter((k) => s.splits[k]).concat(Object.keys(s.splits).filter((k) => !SPLIT_ORDER.includes(k)));
}

/** Rows of cells for the three renderings (header first). */
function sections(s: Plain): { title: string; rows: string[][] }[] {
  const names = splitNames(s);
  const pct = (x: number) => (Number.isNaN(x) ? "-" : `${(100 * x).toFixed(1)}%`);
  const out = [
    {
      title: "images, studies and patients per split",
      rows: [
        ["", ...names],
        ...(["images", "studies", "patients"] as const).map((k) => [k, ...names.map((n) => String(s.splits[n][k]))]),
      ],
    },
    {
      title: "label prevalence (positives among known labels)",
      rows: [
        ["label", ...names],
        ...[...new Set(s.labels.map((l) => l.label))].map((label) => [
          label,
          ...names.map((n) => pct(s.labels.find((l) => l.label === label && l.split === n)?.prevalence ?? NaN)),
        ]),
      ],
    },
  ];
  if (s.features.age.length) {
    out.push({
      title: "age (years)",
      rows: [
        ["", ...names],
        ...(["mean", "sd", "min", "max"] as const).map((k) => [
          k,
          ...names.map((n) =>
            (s.features.age.find((a) => a.split === n)?.[k] ?? NaN).toFixed(k === "mean" || k === "sd" ? 1 : 0),
          ),
        ]),
      ],
    });
  }
  for (const [feature, values] of Object.entries(s.features.counts)) {
    out.push({
      title: feature,
      rows: [
        [feature, ...names],
        ...Object.keys(values)
          .sort()
          .map((v) => [v, ...names.map((n) => String(values[v][n] ?? 0))]),
      ],
    });
  }
  return out;
}

function summaryText(s: Plain): string {
  return sections(s)
    .map(({ title, rows }) => {
      const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
      return [
        title,
        ...rows.map((r) => "  " + r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ")),
      ].join("\n");
    })
    .join("\n\n");
}

function summaryHtml(s: Plain): string {
  return sections(s)
    .map(
      ({ title, rows }) =>
        `<h4>${escapeHtml(title)}</h4><table><thead><tr>${rows[0].map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>${rows
          .slice(1)
          .map(
            (r) =>
              `<tr>${r.map((c, j) => (j === 0 ? `<th>${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join("")}</tr>`,
          )
          .join("")}</tbody></table>`,
    )
    .join("\n");
}
