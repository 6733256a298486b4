/**
 * Custom cohorts from a selection made in danfo (or arquero): the rows a DataFrame kept become a cohort
 * with the same splits, features and age bounds, its report extended by one step that counts the rows
 * the selection left out, so that pretraining, probing and the figures run on the subset.
 */
import type { ColumnTable } from "arquero";
import type { DataFrame } from "danfojs-node";
import { InputError, describeValue } from "../util/errors";
import { checkString } from "../util/validate";
import { isDanfoLike } from "../viz/table";
import { LabelledTable, MimicCohort } from "./dataset";
import { Reporter } from "./buildReport";
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
  const table = data.table.reify(Array.from(keep));
  const report = withStep(data.report, `selection (${reason})`, data.table.numRows(), keep.length, reason);
  const out =
    data instanceof MimicCohort
      ? new MimicCohort(table, report, data.ageBounds, data.pretrainSplit)
      : new LabelledTable(table, data.labelNames, report, data.pretrainSplit);
  return out as unknown as T;
}

/** The table rows (ascending) a selection names, checked: every row must exist, none twice. */
function selectedRows(table: ColumnTable, selection: DataFrame | ColumnTable): Int32Array {
  const n = table.numRows();
  const chosen = new Uint8Array(n);
  const mark = (row: number, what: string, position: number) => {
    if (chosen[row])
      throw new InputError({
        field: "selection",
        row: position + 1,
        expected: "each image once",
        found: `${what} again`,
        hint: "Drop duplicates before selecting.",
      });
    chosen[row] = 1;
  };
  const ids = columnOf(selection, "dicom_id");
  if (ids) {
    if (!table.columnNames().includes("dicom_id"))
      throw new InputError({ column: "dicom_id", expected: "a column of the cohort", found: "none" });
    const rowOf = new Map<unknown, number>();
    const own = table.array("dicom_id") as ArrayLike<unknown>;
    for (let i = 0; i < n; i++) rowOf.set(own[i], i);
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
      mark(row, "an image", p);
    }
  } else if (isDanfoLike(selection)) {
    const index = (selection as DataFrame).index;
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
      mark(row, `row ${row}`, p);
    }
  } else {
    throw new InputError({
      field: "selection",
      expected: "a danfo DataFrame or an arquero table with a dicom_id column",
      found: describeValue(selection),
    });
  }
  const rows = new Int32Array(chosen.reduce((k, c) => k + c, 0));
  for (let i = 0, k = 0; i < n; i++) if (chosen[i]) rows[k++] = i;
  return rows;
}

/** A column of a danfo DataFrame or arquero table, or undefined when it has none by that name. */
function columnOf(t: DataFrame | ColumnTable, name: string): ArrayLike<unknown> | undefined {
  if (isDanfoLike(t)) return t.columns.includes(name) ? (t.column(name).values as ArrayLike<unknown>) : undefined;
  const a = t as ColumnTable;
  if (typeof a.columnNames === "function") return a.columnNames().includes(name) ? a.array(name) : undefined;
  return undefined;
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
