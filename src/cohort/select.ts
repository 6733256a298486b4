/**
 * Custom cohorts from a selection made in danfo (or arquero): the rows a DataFrame kept become a cohort
 * with the same splits, features and age bounds, its report extended by one step that counts the rows
 * the selection left out, so that pretraining, probing and the figures run on the subset.
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import type { DataFrame } from "danfojs-node";
import { InputError, describeValue } from "../util/errors";
import { checkString } from "../util/validate";
import { isDanfoLike } from "../viz/table";
import { LabelledTable, MimicCohort } from "./dataset";
import { Reporter } from "./buildReport";
import { danfoColumn } from "./danfoFrame";
import type { CohortReport, LabelledDataset } from "./types";

export interface SelectOptions {
  /** Why the other rows were left out, as the report says it; default "not in the selection". */
  reason?: string;
}

/**
 * The rows of `data` that `selection` kept, as a cohort of the same kind. Rows are matched by `dicom_id`
 * when the selection has that column (one image each), else by the danfo index (`toDanfo` numbers rows
 * 0..n-1 and danfo's `query`, `loc` and `head` keep those numbers). The kept rows stay in the cohort's
 * order whatever the selection's order.
 */
export function select<T extends LabelledDataset>(
  data: T,
  selection: DataFrame | ColumnTable,
  opts: SelectOptions = {},
): T {
  const reason = checkString(opts.reason ?? "not in the selection", "reason");
  if (!(data instanceof LabelledTable))
    throw new InputError({
      field: "data",
      expected: "a cohort (cohort.build, cohort.chexpert, cohort.nih)",
      found: describeValue(data),
    });
  const keep = selectedRows(data.table, selection);
  const table = rowsOf(data.table, keep);
  const report = withStep(data.report, `selection (${reason})`, data.table.numRows(), keep.length, reason);
  const out =
    data instanceof MimicCohort
      ? new MimicCohort(table, report, data.ageBounds, data.pretrainSplit)
      : new LabelledTable(table, data.labelNames, report, data.pretrainSplit);
  return out as unknown as T;
}

/**
 * The table rows (ascending) a selection names, checked: every row must exist, none twice. A danfo
 * selection is read by its index when the index names this cohort's rows (its dicom_ids, where it
 * has them, agree): one comparison per selected row, no lookup table of 377k ids.
 */
function selectedRows(table: ColumnTable, selection: DataFrame | ColumnTable): Int32Array {
  const n = table.numRows();
  const ids = columnOf(selection, "dicom_id");
  if (ids && !table.columnNames().includes("dicom_id"))
    throw new InputError({ column: "dicom_id", expected: "a column of the cohort", found: "none" });
  const own = ids ? (table.array("dicom_id") as ArrayLike<unknown>) : undefined;
  let rows: ArrayLike<number> | undefined;
  if (isDanfoLike(selection)) {
    const index = (selection as DataFrame).index as ArrayLike<unknown>;
    if (!ids) rows = checkedIndex(index, n);
    else if (indexAgrees(index, ids, own!)) rows = index as ArrayLike<number>;
  }
  if (!rows && ids) rows = rowsOfIds(ids, own!);
  if (!rows)
    throw new InputError({
      field: "selection",
      expected: "a danfo DataFrame or an arquero table with a dicom_id column",
      found: describeValue(selection),
    });
  const chosen = new Uint8Array(n);
  for (let p = 0; p < rows.length; p++) {
    if (chosen[rows[p]])
      throw new InputError({
        field: "selection",
        row: p + 1,
        expected: "each image once",
        found: `row ${rows[p]} again`,
        hint: "Drop duplicates before selecting.",
      });
    chosen[rows[p]] = 1;
  }
  const out = new Int32Array(rows.length);
  for (let i = 0, k = 0; i < n; i++) if (chosen[i]) out[k++] = i;
  return out;
}

/** A danfo index as row numbers of a table of `n` rows, or an InputError naming the first that is not. */
function checkedIndex(index: ArrayLike<unknown>, n: number): ArrayLike<number> {
  for (let p = 0; p < index.length; p++) {
    const row = index[p];
    if (typeof row !== "number" || !Number.isInteger(row) || row < 0 || row >= n)
      throw new InputError({
        field: "selection",
        row: p + 1,
        expected: `a dicom_id column, or the row numbers of cohort.toDanfo() (0..${n - 1}) as index`,
        found: `index ${describeValue(row)}`,
        hint: "Keep the dicom_id column, or do not reset the index.",
      });
  }
  return index as ArrayLike<number>;
}

/** Whether every index value is a row of the cohort holding the selection's dicom_id at that position. */
function indexAgrees(index: ArrayLike<unknown>, ids: ArrayLike<unknown>, own: ArrayLike<unknown>): boolean {
  if (index.length !== ids.length) return false;
  for (let p = 0; p < index.length; p++) {
    const row = index[p];
    if (typeof row !== "number" || !Number.isInteger(row) || row < 0 || row >= own.length) return false;
    if (own[row] !== ids[p]) return false;
  }
  return true;
}

/** The cohort rows of the selection's dicom_ids, looked up by id. */
function rowsOfIds(ids: ArrayLike<unknown>, own: ArrayLike<unknown>): Int32Array {
  const rowOf = new Map<unknown, number>();
  for (let i = 0; i < own.length; i++) rowOf.set(own[i], i);
  const rows = new Int32Array(ids.length);
  for (let p = 0; p < ids.length; p++) {
    const row = rowOf.get(ids[p]);
    // The id itself stays out of the message (privacy): its position says which one.
    if (row === undefined)
      throw new InputError({
        field: "selection",
        row: p + 1,
        column: "dicom_id",
        expected: "an image of this cohort",
        found: "an unknown dicom_id",
      });
    rows[p] = row;
  }
  return rows;
}

/** A column of a danfo DataFrame or arquero table, or undefined when it has none by that name. */
function columnOf(t: DataFrame | ColumnTable, name: string): ArrayLike<unknown> | undefined {
  if (isDanfoLike(t)) return danfoColumn(t as DataFrame, name);
  const a = t as ColumnTable;
  if (typeof a.columnNames === "function") return a.columnNames().includes(name) ? a.array(name) : undefined;
  return undefined;
}

/**
 * The table of `rows` of `table`, gathered column by column: arrays and typed arrays copied (typed
 * arrays stay typed), columns made on access (the cohort's paths) left so. arquero's `reify` copies
 * every column through `at()` per row and makes all 377k paths: several times slower.
 */
function rowsOf(table: ColumnTable, rows: Int32Array): ColumnTable {
  if (table.isFiltered() || table.isOrdered() || table.isGrouped()) return table.reify(Array.from(rows));
  const columns: Record<string, unknown> = {};
  for (const name of table.columnNames()) {
    const source = table.column(name) as unknown;
    if (Array.isArray(source) || ArrayBuffer.isView(source)) {
      const from = source as ArrayLike<unknown>;
      const out = (
        Array.isArray(from) ? new Array(rows.length) : new (from.constructor as Int32ArrayConstructor)(rows.length)
      ) as unknown[];
      for (let k = 0; k < rows.length; k++) out[k] = from[rows[k]];
      columns[name] = out;
    } else columns[name] = new GatheredColumn(source as { at(row: number): unknown }, rows);
  }
  return aq.table(columns as Record<string, unknown[]>);
}

/** Rows of a column made on access, still made on access. */
class GatheredColumn {
  constructor(
    private readonly source: { at(row: number): unknown },
    private readonly rows: Int32Array,
  ) {}

  get length(): number {
    return this.rows.length;
  }

  at(row: number): unknown {
    return this.source.at(this.rows[row]);
  }

  *[Symbol.iterator](): Iterator<unknown> {
    for (let i = 0; i < this.rows.length; i++) yield this.at(i);
  }
}

/** `report` with one more images step that left out `rowsIn - rowsOut` rows for `reason`. */
function withStep(report: CohortReport, step: string, rowsIn: number, rowsOut: number, reason: string): CohortReport {
  const r = new Reporter();
  r.inputs.push(...report.inputs);
  r.steps.push(...report.steps);
  Object.assign(r.imputed, report.imputed);
  r.note(step, "images", rowsIn, rowsOut, rowsIn > rowsOut ? { [reason]: rowsIn - rowsOut } : {});
  return r.finish(report.options);
}
