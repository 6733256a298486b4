/**
 * Label and score matrices as evaluation takes them, and the checks that turn bad input into an
 * `InputError` that says which argument, which row and which label is wrong.
 */
import { InputError, describeValue } from "../util/errors";
import { IGNORE_LABEL } from "../util/labels";
import type { NamedMatrix } from "../util/matrix";

/**
 * Row-major values with named columns, as evaluation accepts them (`values[i * k + j]` is row i,
 * label j): a `NamedMatrix` (`cohort.labels(split)`, a probe's scores), or just its names and values.
 */
export type NamedValues = Pick<NamedMatrix<ArrayLike<number>>, "names" | "values">;

/** What the metrics accept: named values, or plain rows (`number[][]`, one array per image). */
export type MatrixLike = NamedValues | readonly (readonly number[])[];

/** A matrix after normalisation: rows, columns, names and the row-major values. */
type Matrix = NamedMatrix<ArrayLike<number>>;

/** True labels and scores of one evaluated set (a model's test predictions, for `compare`). */
export interface ScoredSet {
  yTrue: MatrixLike;
  yScore: MatrixLike;
}

function isNamed(m: MatrixLike): m is NamedValues {
  return !Array.isArray(m) && typeof (m as NamedValues).values === "object" && Array.isArray((m as NamedValues).names);
}

/**
 * Normalises `m` (argument `field` of the caller) to a `Matrix`. Column names come from `m` when it
 * has them, else from `fallbackNames`, else `label 1..k`.
 */
export function toMatrix(m: MatrixLike, field: string, fallbackNames?: readonly string[]): Matrix {
  if (m === null || typeof m !== "object") {
    throw new InputError({ field, expected: "a matrix ({ names, values } or number[][])", found: describeValue(m) });
  }
  if (isNamed(m)) {
    const cols = m.names.length;
    if (cols === 0)
      throw new InputError({ field: `${field}.names`, expected: "at least one label name", found: "none" });
    if (m.values.length % cols !== 0) {
      throw new InputError({
        field: `${field}.values`,
        expected: `a multiple of ${cols} values (${cols} labels per row)`,
        found: `${m.values.length} values`,
      });
    }
    return { rows: m.values.length / cols, cols, names: m.names, values: m.values };
  }
  if (!Array.isArray(m))
    throw new InputError({ field, expected: "a matrix ({ names, values } or number[][])", found: describeValue(m) });
  const rows = m.length;
  const cols = rows > 0 ? m[0].length : (fallbackNames?.length ?? 0);
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const r = m[i] as ArrayLike<number>;
    if (r === null || typeof r !== "object" || typeof r.length !== "number")
      throw new InputError({ field, row: i + 1, expected: "an array of numbers", found: describeValue(r) });
    if (r.length !== cols)
      throw new InputError({ field, row: i + 1, expected: `${cols} columns (as row 1)`, found: `${r.length}` });
    for (let j = 0; j < cols; j++) values[i * cols + j] = r[j];
  }
  const names =
    fallbackNames && fallbackNames.length === cols
      ? fallbackNames
      : Array.from({ length: cols }, (_, j) => `label ${j + 1}`);
  return { rows, cols, names, values };
}

/**
 * Checks and normalises a pair of label and score matrices: same shape, at least one row, labels in
 * {0, 1, IGNORE_LABEL}, finite scores. Names are taken from whichever has them (labels first).
 */
export function checkPair(yTrue: MatrixLike, yScore: MatrixLike, prefix = ""): { y: Matrix; s: Matrix } {
  const yField = `${prefix}yTrue`;
  const sField = `${prefix}yScore`;
  const named = isNamed(yTrue) ? yTrue.names : isNamed(yScore) ? yScore.names : undefined;
  const y = toMatrix(yTrue, yField, named);
  const s = toMatrix(yScore, sField, y.names);
  if (y.rows === 0)
    throw new InputError({ field: yField, expected: "at least one row (an empty split?)", found: "0 rows" });
  if (y.cols !== s.cols)
    throw new InputError({ field: sField, expected: `${y.cols} label columns (as ${yField})`, found: `${s.cols}` });
  if (y.rows !== s.rows)
    throw new InputError({ field: sField, expected: `${y.rows} rows (as ${yField})`, found: `${s.rows}` });
  checkLabels(y, yField);
  checkScores(s, sField);
  return { y, s };
}

/** Every label is 0, 1 or IGNORE_LABEL; otherwise an InputError naming the row and label. */
export function checkLabels(y: Matrix, field: string): void {
  const v = y.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== 0 && x !== 1 && x !== IGNORE_LABEL) {
      throw new InputError({
        field,
        row: Math.floor(i / y.cols) + 1,
        column: y.names[i % y.cols],
        expected: `0, 1 or ${IGNORE_LABEL} (ignored)`,
        found: describeValue(x),
      });
    }
  }
}

/** Every score is a finite number; otherwise an InputError naming the row and label. */
export function checkScores(s: Matrix, field: string): void {
  const v = s.values;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new InputError({
        field,
        row: Math.floor(i / s.cols) + 1,
        column: s.names[i % s.cols],
        expected: "a finite score",
        found: describeValue(v[i]),
      });
    }
  }
}

/** One column of a row-major matrix as a Float64Array. */
export function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.values[i * m.cols + j];
  return out;
}
