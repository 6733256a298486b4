/**
 * The cohort exploration a pandas user does (describe, value counts, crosstabs, label co-occurrence,
 * missingness, per-patient counts), computed in one or two passes over the columns of the cohort's
 * arquero table and handed back as small danfo DataFrames. danfo's own calls take minutes or never
 * finish on the 376,517-row cohort (docs/danfo.md); these take under a second of CPU time there (`npm run
 * bench -- danfo`). arquero's grouped rollups give the same numbers (the tests use them as the
 * reference) but sort once per quantile and build a set per patient, which costs several times more at
 * this size. No result holds an id: patients, studies and images are only counted.
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { DataFrame } from "danfojs-node";
import { InputError, describeValue } from "../util/errors";
import { IGNORE_LABEL } from "../util/labels";
import { checkOneOf } from "../util/validate";
import { isIdColumn } from "../viz/table";
import { toDanfo } from "./danfoFrame";
import type { LabelledDataset, SplitName } from "./types";
import { SPLIT_NAMES } from "./types";

/** A cohort (or another labelled dataset), or an arquero table with its columns. */
export type Explorable = LabelledDataset | ColumnTable;

/** The row group every per-split result ends with: the whole table. */
export const ALL = "all";

export interface GroupOptions {
  /** Column whose values split the rows into groups; default "split" when the table has one, null for none. */
  by?: string | null;
}

export interface DescribeOptions extends GroupOptions {
  /** `numeric` (default; as pandas' describe) or `categorical` (count, unique, top, freq). */
  include?: "numeric" | "categorical";
  /** The columns to describe; default every column of that kind except ids, paths and labels. */
  columns?: readonly string[];
}

/**
 * pandas' `describe()` for every group of `by` (default: per split) and for the whole table ("all"): one
 * row per column and group. Numeric: count (values present), missing, mean, std (n - 1), min, 25%, 50%,
 * 75%, max (quantiles interpolated linearly, as pandas). Categorical: count, missing, unique, top (the
 * most frequent value; ties go to the first in sort order) and freq.
 */
export function describe(data: Explorable, opts: DescribeOptions = {}): DataFrame {
  const { table, labels } = unpack(data);
  const include = checkOneOf(opts.include ?? "numeric", "include", ["numeric", "categorical"] as const);
  const columns = opts.columns ?? defaultColumns(table, labels, include);
  for (const c of columns) requireColumn(table, c);
  const by = groupColumn(table, opts.by);
  const groups = groupsOf(table, by);
  const stats = include === "numeric" ? numericStats(table, columns, groups) : categoricalStats(table, columns, groups);
  const rows: Record<string, unknown>[] = [];
  columns.forEach((c, j) =>
    groups.names.forEach((name, g) => rows.push({ ...(by ? { [by]: name } : {}), column: c, ...stats[j][g] })),
  );
  return toDanfo(aq.from(rows));
}

export interface ValueCountsOptions extends GroupOptions {
  /** Fractions of each group's rows instead of counts; default false. */
  normalize?: boolean;
}

/**
 * pandas' `value_counts()` of `column`: one row per value (missing values as one row with an empty
 * value, never dropped), most frequent first, with a count per group of `by` and over all rows.
 */
export function valueCounts(data: Explorable, column: string, opts: ValueCountsOptions = {}): DataFrame {
  const { table } = unpack(data);
  requireColumn(table, column);
  const by = groupColumn(table, opts.by);
  return toDanfo(countTable(table, column, by, opts.normalize ?? false));
}

export interface CrosstabOptions {
  /** Fractions of each row (`index`), of each column (`columns`) or of all rows (`all`); default counts. */
  normalize?: "index" | "columns" | "all";
}

/**
 * pandas' `crosstab(df[row], df[column], margins=True)`: one row per value of `row`, one column per value
 * of `column` (in sort order; uncertain labels appear as their own value), and the totals ("all").
 */
export function crosstab(data: Explorable, row: string, column: string, opts: CrosstabOptions = {}): DataFrame {
  const { table } = unpack(data);
  requireColumn(table, row);
  requireColumn(table, column);
  const normalize = opts.normalize;
  if (normalize !== undefined) checkOneOf(normalize, "normalize", ["index", "columns", "all"] as const);
  const rowValues = table.array(row) as ArrayLike<unknown>;
  const colValues = table.array(column) as ArrayLike<unknown>;
  const rowKeys = sortedKeys(rowValues);
  const colKeys = sortedKeys(colValues);
  const rowAt = new Map(rowKeys.map((k, i) => [k, i]));
  const colAt = new Map(colKeys.map((k, i) => [k, i]));
  const counts = rowKeys.map(() => new Float64Array(colKeys.length));
  for (let i = 0; i < rowValues.length; i++) {
    counts[rowAt.get(keyOf(rowValues[i]))!][colAt.get(keyOf(colValues[i]))!]++;
  }
  const colTotals = colKeys.map((_, j) => counts.reduce((s, r) => s + r[j], 0));
  const total = rowValues.length;
  const out: Record<string, unknown[]> = { [row]: [...rowKeys.map(label), ALL] };
  colKeys.forEach((k, j) => {
    const cells = counts.map((r) => r[j]);
    out[`${column} = ${label(k)}`] = [...cells, colTotals[j]];
  });
  out[ALL] = [...counts.map((r) => r.reduce((s, x) => s + x, 0)), total];
  if (normalize) {
    const names = Object.keys(out).slice(1);
    const rowTotals = out[ALL] as number[];
    for (const name of names) {
      const col = out[name] as number[];
      out[name] = col.map((v, i) =>
        normalize === "index" ? v / rowTotals[i] : normalize === "columns" ? v / col[col.length - 1] : v / total,
      );
    }
  }
  return toDanfo(aq.table(out));
}

export interface LabelsByOptions {
  /** The labels; default the dataset's labels (required for a plain table). */
  labels?: readonly string[];
}

/**
 * Label prevalence by an EHR field (`sex`, `view`, `icu`, ...): one row per value of `field` with its
 * number of images and, per label, the fraction positive among the images whose label is known
 * (uncertain labels left out of the denominator). `viz.heatmap` draws it.
 */
export function labelsBy(data: Explorable, field: string, opts: LabelsByOptions = {}): DataFrame {
  const { table, labels: own } = unpack(data);
  requireColumn(table, field);
  const labels = requireLabels(table, opts.labels ?? own);
  const values = table.array(field) as ArrayLike<unknown>;
  const keys = sortedKeys(values);
  const at = new Map(keys.map((k, i) => [k, i]));
  const cols = labels.map((l) => table.array(l) as ArrayLike<number>);
  const images = new Float64Array(keys.length);
  const positive = keys.map(() => new Float64Array(labels.length));
  const known = keys.map(() => new Float64Array(labels.length));
  for (let i = 0; i < values.length; i++) {
    const g = at.get(keyOf(values[i]))!;
    images[g]++;
    for (let j = 0; j < labels.length; j++) {
      if (cols[j][i] === 1) positive[g][j]++;
      if (cols[j][i] !== IGNORE_LABEL) known[g][j]++;
    }
  }
  const out: Record<string, unknown[]> = { [field]: keys.map(label), images: Array.from(images) };
  labels.forEach((l, j) => (out[l] = keys.map((_, g) => (known[g][j] > 0 ? positive[g][j] / known[g][j] : NaN))));
  return toDanfo(aq.table(out));
}

export interface CooccurrenceOptions extends LabelsByOptions {
  /** Fractions of all images instead of counts; default false. */
  normalize?: boolean;
}

/**
 * How often two labels are positive on the same image: a labels x labels table (the diagonal holds each
 * label's positives), one row per label. `viz.heatmap` draws it.
 */
export function labelCooccurrence(data: Explorable, opts: CooccurrenceOptions = {}): DataFrame {
  const { table, labels: own } = unpack(data);
  const labels = requireLabels(table, opts.labels ?? own);
  const L = labels.length;
  const cols = labels.map((l) => table.array(l) as ArrayLike<number>);
  const n = table.numRows();
  // A pass over the rows with the positives of each image: a pairwise rollup in arquero would take L^2
  // aggregate expressions (196 for CheXpert), each a pass of its own.
  const counts = new Float64Array(L * L);
  const positive: number[] = [];
  for (let i = 0; i < n; i++) {
    positive.length = 0;
    for (let a = 0; a < L; a++) if (cols[a][i] === 1) positive.push(a);
    for (const a of positive) for (const b of positive) counts[a * L + b]++;
  }
  const total = opts.normalize ? Math.max(1, n) : 1;
  const out: Record<string, unknown[]> = { label: [...labels] };
  labels.forEach((l, b) => (out[l] = labels.map((_, a) => counts[a * L + b] / total)));
  return toDanfo(aq.table(out));
}

export interface MissingnessOptions extends GroupOptions {
  /** The columns; default every column but ids, paths and the `_imputed` flags. */
  columns?: readonly string[];
}

/**
 * Missing values per column (null, undefined, NaN or an empty string), per group of `by` and over all
 * rows, with the fraction over all rows and, where the cohort imputed a column (`<column>_imputed`), how
 * many of its values were filled in.
 */
export function missingness(data: Explorable, opts: MissingnessOptions = {}): DataFrame {
  const { table } = unpack(data);
  const by = groupColumn(table, opts.by);
  const groups = groupsOf(table, by);
  const names = opts.columns ?? table.columnNames().filter((c) => !c.endsWith("_imputed") && !isIdColumn(c));
  for (const c of names) requireColumn(table, c);
  const out: Record<string, unknown[]> = { column: [...names] };
  const missing = names.map((c) => tally(table.array(c) as ArrayLike<unknown>, groups, isMissing));
  groups.names.forEach((name, g) => (out[name] = missing.map((m) => m[g])));
  const n = table.numRows();
  out.fraction = (out[ALL] as number[]).map((m) => (n > 0 ? m / n : NaN));
  out.imputed = names.map((c) =>
    table.columnNames().includes(`${c}_imputed`) ? sumOf(table.array(`${c}_imputed`) as ArrayLike<number>) : 0,
  );
  return toDanfo(aq.table(out));
}

/**
 * Images and studies per patient, per group of `by` and over all rows: patients, images, studies, and
 * the mean, median and largest number of images and of studies per patient.
 */
export function perPatient(data: Explorable, opts: GroupOptions = {}): DataFrame {
  const { table } = unpack(data);
  for (const c of ["subject_id", "study_id"]) requireColumn(table, c);
  const by = groupColumn(table, opts.by);
  const groups = groupsOf(table, by);
  const G = groups.names.length;
  const subjects = table.array("subject_id") as ArrayLike<unknown>;
  const studies = table.array("study_id") as ArrayLike<unknown>;
  // Counted in one pass, with one set of studies per group (a study belongs to one patient): arquero's
  // groupby(subject).rollup(distinct(study)) builds a set per patient (65,000 at MIMIC's size) and takes
  // several times longer.
  const subjectAt = new Map<unknown, number>();
  for (let i = 0; i < subjects.length; i++) if (!subjectAt.has(subjects[i])) subjectAt.set(subjects[i], subjectAt.size);
  const S = subjectAt.size;
  const images = Array.from({ length: G }, () => new Int32Array(S));
  const studyCount = Array.from({ length: G }, () => new Int32Array(S));
  const studiesSeen = Array.from({ length: G }, () => new Set<unknown>());
  for (let i = 0; i < subjects.length; i++) {
    const s = subjectAt.get(subjects[i])!;
    for (const g of G > 1 ? [groups.of[i], G - 1] : [0]) {
      images[g][s]++;
      if (!studiesSeen[g].has(studies[i])) {
        studiesSeen[g].add(studies[i]);
        studyCount[g][s]++;
      }
    }
  }
  const rows = groups.names.map((name, g) => {
    const im = perPatientStats(images[g], images[g]);
    const st = perPatientStats(studyCount[g], images[g]);
    return {
      ...(by ? { [by]: name } : {}),
      patients: im.patients,
      images: im.total,
      studies: st.total,
      images_mean: im.mean,
      images_median: im.median,
      images_max: im.max,
      studies_mean: st.mean,
      studies_median: st.median,
      studies_max: st.max,
    };
  });
  return toDanfo(aq.from(rows));
}

/** Patients (those with an image in the group), total, mean, median and largest of `counts` per patient. */
function perPatientStats(
  counts: Int32Array,
  images: Int32Array,
): { patients: number; total: number; mean: number; median: number; max: number } {
  const x = Float64Array.from(counts.filter((_, s) => images[s] > 0)).sort();
  const total = x.reduce((a, b) => a + b, 0);
  const n = x.length;
  const median = n === 0 ? NaN : n % 2 ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
  return { patients: n, total, mean: n ? total / n : NaN, median, max: n ? x[n - 1] : NaN };
}

// ---- shared pieces ----

function unpack(data: Explorable): { table: ColumnTable; labels: readonly string[] } {
  const d = data as Partial<LabelledDataset> & Partial<ColumnTable>;
  if (d && typeof d === "object" && d.table && Array.isArray(d.labelNames))
    return { table: d.table, labels: d.labelNames };
  if (d && typeof (d as ColumnTable).columnNames === "function" && typeof (d as ColumnTable).numRows === "function")
    return { table: d as ColumnTable, labels: [] };
  throw new InputError({
    field: "data",
    expected: "a cohort (cohort.build) or an arquero table",
    found: describeValue(data),
  });
}

function requireColumn(table: ColumnTable, c: string): void {
  if (!table.columnNames().includes(c))
    throw new InputError({
      column: c,
      expected: "a column of the table",
      found: "no such column",
      hint: `Columns: ${table.columnNames().join(", ")}.`,
    });
}

function requireLabels(table: ColumnTable, labels: readonly string[]): readonly string[] {
  if (labels.length === 0)
    throw new InputError({ field: "labels", expected: "the label columns (opts.labels)", found: "none" });
  for (const l of labels) requireColumn(table, l);
  return labels;
}

/** The grouping column: the one asked for, else "split" when there is one, else none. */
function groupColumn(table: ColumnTable, by: string | null | undefined): string | null {
  if (by === null) return null;
  if (by === undefined) return table.columnNames().includes("split") ? "split" : null;
  requireColumn(table, by);
  return by;
}

/**
 * The groups of `by` (splits in train, validate, test order, other values sorted) followed by "all":
 * `of[i]` is row i's group; every row is also in the last group.
 */
interface Groups {
  names: string[];
  of: Int32Array;
}

function groupsOf(table: ColumnTable, by: string | null): Groups {
  const n = table.numRows();
  if (!by) return { names: [ALL], of: new Int32Array(n) };
  const values = table.array(by) as ArrayLike<unknown>;
  const keys = sortedKeys(values).sort((a, b) => splitRank(a) - splitRank(b));
  const at = new Map(keys.map((k, i) => [k, i]));
  const of = new Int32Array(n);
  for (let i = 0; i < n; i++) of[i] = at.get(keyOf(values[i]))!;
  return { names: [...keys.map(label), ALL], of };
}

/** train, validate, test first (in that order, as MIMIC-CXR's split file), then the others as sorted. */
function splitRank(k: unknown): number {
  const i = SPLIT_NAMES.indexOf(k as SplitName);
  return i < 0 ? SPLIT_NAMES.length : i;
}

/** How many rows of each group (the last: all rows) have a value for which `count` holds. */
function tally(values: ArrayLike<unknown>, groups: Groups, count: (v: unknown) => boolean): number[] {
  const out = new Array(groups.names.length).fill(0);
  for (let i = 0; i < values.length; i++) if (count(values[i])) out[groups.of[i]]++;
  if (groups.names.length > 1) out[out.length - 1] = out.slice(0, -1).reduce((s, x) => s + x, 0);
  return out;
}

/** Numeric columns (or the others) that are measures: ids, paths, `_imputed` flags and labels left out. */
function defaultColumns(table: ColumnTable, labels: readonly string[], include: "numeric" | "categorical"): string[] {
  return table.columnNames().filter((c) => {
    if (isIdColumn(c) || c.endsWith("_imputed") || labels.includes(c) || c === "split" || c.endsWith("_date"))
      return false;
    const numeric = isNumericColumn(table.array(c) as ArrayLike<unknown>);
    return include === "numeric" ? numeric : !numeric;
  });
}

function isNumericColumn(values: ArrayLike<unknown>): boolean {
  let seen = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) continue;
    if (typeof v !== "number") return false;
    seen = true;
  }
  return seen;
}

/**
 * Per column, per group (then all): pandas' numeric describe. Each group's values are sorted once, in a
 * Float64Array, for all three quantiles: arquero's `op.quantile` sorts again for each quantile it is asked.
 */
function numericStats(table: ColumnTable, columns: readonly string[], groups: Groups): Record<string, number>[][] {
  const G = groups.names.length;
  return columns.map((c) => {
    const values = table.array(c) as ArrayLike<unknown>;
    const sizes = new Int32Array(G);
    const present = new Int32Array(G);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      sizes[groups.of[i]]++;
      if (isMissing(v)) continue;
      if (typeof v !== "number")
        throw new InputError({
          column: c,
          row: i + 1,
          expected: "numbers (include: numeric)",
          found: describeValue(v),
        });
      present[groups.of[i]]++;
    }
    const parts = Array.from(present, (k) => new Float64Array(k));
    const filled = new Int32Array(G);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!isMissing(v)) parts[groups.of[i]][filled[groups.of[i]]++] = v as number;
    }
    if (G > 1) {
      const all = new Float64Array(parts.reduce((k, p, g) => k + (g < G - 1 ? p.length : 0), 0));
      parts.slice(0, -1).reduce((at, p) => (all.set(p, at), at + p.length), 0);
      parts[G - 1] = all;
      sizes[G - 1] = values.length;
    }
    return parts.map((p, g) => ({ count: p.length, missing: sizes[g] - p.length, ...sortedStats(p.sort()) }));
  });
}

/** Mean, std (n - 1), min, quartiles (linear interpolation, as pandas) and max of sorted values. */
function sortedStats(x: Float64Array): Record<string, number> {
  const n = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i] - mean) ** 2;
  const q = (p: number) => {
    if (n === 0) return NaN;
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return lo + 1 < n ? x[lo] + (h - lo) * (x[lo + 1] - x[lo]) : x[lo];
  };
  return {
    mean,
    std: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN,
    min: n > 0 ? x[0] : NaN,
    "25%": q(0.25),
    "50%": q(0.5),
    "75%": q(0.75),
    max: n > 0 ? x[n - 1] : NaN,
  };
}

/** Per column, per group (then all): count, missing, unique, top (ties: first in sort order) and freq. */
function categoricalStats(table: ColumnTable, columns: readonly string[], groups: Groups): Record<string, unknown>[][] {
  return columns.map((c) => {
    const counts = valueCountsPerGroup(table.array(c) as ArrayLike<unknown>, groups);
    return counts.map(({ m, n }) => {
      const missing = m.get(MISSING) ?? 0;
      let top: unknown = null;
      let freq = 0;
      for (const k of [...m.keys()].filter((k) => k !== MISSING).sort(compareValues)) {
        if (m.get(k)! > freq) [top, freq] = [k, m.get(k)!];
      }
      return { count: n - missing, missing, unique: m.size - (m.has(MISSING) ? 1 : 0), top, freq };
    });
  });
}

/** Each group's count of every value (missing values under one key), and its number of rows. */
function valueCountsPerGroup(values: ArrayLike<unknown>, groups: Groups): { m: Map<unknown, number>; n: number }[] {
  const out = groups.names.map(() => ({ m: new Map<unknown, number>(), n: 0 }));
  const all = out[out.length - 1];
  for (let i = 0; i < values.length; i++) {
    const k = keyOf(values[i]);
    for (const o of groups.names.length > 1 ? [out[groups.of[i]], all] : [all]) {
      o.m.set(k, (o.m.get(k) ?? 0) + 1);
      o.n++;
    }
  }
  return out;
}

/** Counts of each value of `column` per group of `by` and over all rows, most frequent first. */
function countTable(table: ColumnTable, column: string, by: string | null, normalize: boolean): ColumnTable {
  const groups = groupsOf(table, by);
  const perGroup = valueCountsPerGroup(table.array(column) as ArrayLike<unknown>, groups);
  const all = perGroup[perGroup.length - 1].m;
  const keys = [...all.keys()].sort((a, b) => all.get(b)! - all.get(a)! || compareValues(a, b));
  const out: Record<string, unknown[]> = { [column]: keys.map((k) => (k === MISSING ? null : k)) };
  groups.names.forEach((name, g) => {
    const { m, n } = perGroup[g];
    out[by ? name : normalize ? "proportion" : "count"] = keys.map((k) =>
      normalize ? (m.get(k) ?? 0) / n : (m.get(k) ?? 0),
    );
  });
  return aq.table(out);
}

/** The key of a missing value in maps (null, undefined, NaN and "" are one value). */
const MISSING = Symbol("missing");

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v));
}

function keyOf(v: unknown): unknown {
  return isMissing(v) ? MISSING : v;
}

/** A key as a cell: the value as text, or "missing". */
function label(k: unknown): string {
  return k === MISSING ? "missing" : String(k);
}

/** Distinct keys in sort order (numbers ascending, then strings, missing last). */
function sortedKeys(values: ArrayLike<unknown>): unknown[] {
  const s = new Set<unknown>();
  for (let i = 0; i < values.length; i++) s.add(keyOf(values[i]));
  return [...s].sort(compareValues);
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === MISSING) return 1;
  if (b === MISSING) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return String(a) < String(b) ? -1 : 1;
}

function sumOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] || 0;
  return s;
}
