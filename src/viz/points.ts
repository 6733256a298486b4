import { InputError, describeValue } from "../util/errors";

/** n points of `dims` coordinates, row-major float32 (the layout tensors and workers share). */
export interface Points {
  data: Float32Array;
  n: number;
  dims: number;
}

/** What the projections accept: rows of numbers, or a flat row-major array with its `dims`. */
export type PointsInput = readonly (readonly number[] | Float32Array | Float64Array)[] | Float32Array | Float64Array;

/**
 * Checks and packs points into a flat float32 matrix. Every value must be a finite number and
 * every row the same length; the error names the row (1-based) and what was found.
 */
export function toPoints(points: PointsInput, dims?: number, field = "points"): Points {
  if (points instanceof Float32Array || points instanceof Float64Array) {
    if (dims === undefined || !Number.isInteger(dims) || dims < 1) {
      throw new InputError({
        field: "dims",
        expected: "a positive integer (the length of one point) with a flat array of points",
        found: describeValue(dims),
      });
    }
    if (points.length % dims !== 0) {
      throw new InputError({
        field,
        expected: `a length divisible by dims = ${dims}`,
        found: `length ${points.length}`,
      });
    }
    const data = points instanceof Float32Array ? points : Float32Array.from(points);
    const bad = firstNonFinite(points);
    if (bad >= 0) {
      throw new InputError({
        field,
        row: Math.floor(bad / dims) + 1,
        expected: "finite numbers",
        found: describeValue(points[bad]),
      });
    }
    return { data, n: points.length / dims, dims };
  }
  if (!Array.isArray(points))
    throw new InputError({
      field,
      expected: "an array of points or a Float32Array with dims",
      found: describeValue(points),
    });
  const n = points.length;
  const d = n > 0 ? points[0]?.length : 0;
  if (dims !== undefined && d !== dims)
    throw new InputError({ field, row: 1, expected: `${dims} coordinates (dims)`, found: `${d}` });
  const data = new Float32Array(n * d);
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
      data[i * d + j] = v;
    }
  }
  return { data, n, dims: d };
}

function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/** Row-major n x 2 embedding as rows of [x, y]. */
export function toRows(flat: Float64Array | Float32Array, n: number, dims = 2): number[][] {
  const out: number[][] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Array.from(flat.subarray(i * dims, (i + 1) * dims));
  return out;
}
