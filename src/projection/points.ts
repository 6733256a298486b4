import { InputError, describeValue } from "../util/errors";
import type { Matrix } from "../util/matrix";
import { checkInt } from "../util/validate";

/**
 * What the projections accept: rows of numbers, a flat row-major array with its `dims`, or a `Matrix`
 * (an embedding result, labels, EHR features).
 */
export type PointsInput =
  | readonly (readonly number[] | Float32Array | Float64Array)[]
  | Float32Array
  | Float64Array
  | Matrix<Float32Array | Float64Array>;

/**
 * The flat layout eval's embeddings still travel in (`data`, `n` rows of `dims`); eval moves to the util
 * `Matrix`, and this type goes, with issue 12's eval part.
 */
export interface Points {
  data: Float32Array;
  n: number;
  dims: number;
}

/**
 * Checks and packs points into a float32 `Matrix` (the layout tensors and workers share). Every value must
 * be a finite number and every row the same length; the error names the row (1-based) and what was found.
 */
export function toPoints(points: PointsInput, dims?: number, field = "points"): Matrix {
  if (points instanceof Float32Array || points instanceof Float64Array) {
    const cols = checkInt(dims, "dims", { min: 1 });
    return fromFlat(points, cols, field);
  }
  if (isMatrix(points)) {
    if (dims !== undefined && points.cols !== dims)
      throw new InputError({ field, expected: `${dims} columns (dims)`, found: `${points.cols}` });
    if (points.values.length !== points.rows * points.cols)
      throw new InputError({
        field,
        expected: `${points.rows} x ${points.cols} values`,
        found: `${points.values.length}`,
      });
    return fromFlat(points.values, points.cols, field);
  }
  if (!Array.isArray(points))
    throw new InputError({
      field,
      expected: "an array of points, a Matrix, or a Float32Array with dims",
      found: describeValue(points),
    });
  const n = points.length;
  const d = n > 0 ? points[0]?.length : 0;
  if (dims !== undefined && d !== dims)
    throw new InputError({ field, row: 1, expected: `${dims} coordinates (dims)`, found: `${d}` });
  const values = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = points[i];
    if (row === null || typeof row !== "object" || row.length !== d) {
      throw new InputError({
        field,
        row: i + 1,
        expected: `${d} coordinates like the first row`,
        found: row && typeof row === "object" ? `${row.length}` : describeValue(row),
      });
    }
    for (let j = 0; j < d; j++) {
      const v = row[j];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new InputError({
          field,
          row: i + 1,
          column: String(j),
          expected: "a finite number",
          found: describeValue(v),
        });
      }
      values[i * d + j] = v;
    }
  }
  return { rows: n, cols: d, values };
}

function isMatrix(x: unknown): x is Matrix<Float32Array | Float64Array> {
  const m = x as Matrix<ArrayLike<number>> | null;
  return (
    typeof m === "object" &&
    m !== null &&
    !Array.isArray(m) &&
    (m.values instanceof Float32Array || m.values instanceof Float64Array) &&
    typeof m.rows === "number" &&
    typeof m.cols === "number"
  );
}

/** A flat row-major array of `cols`-long points, checked for length and finite values, as float32. */
function fromFlat(flat: Float32Array | Float64Array, cols: number, field: string): Matrix {
  if (flat.length % cols !== 0)
    throw new InputError({ field, expected: `a length divisible by dims = ${cols}`, found: `length ${flat.length}` });
  const bad = firstNonFinite(flat);
  if (bad >= 0) {
    throw new InputError({
      field,
      row: Math.floor(bad / cols) + 1,
      expected: "finite numbers",
      found: describeValue(flat[bad]),
    });
  }
  const values = flat instanceof Float32Array ? flat : Float32Array.from(flat);
  return { rows: flat.length / cols, cols, values };
}

function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}
