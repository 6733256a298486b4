/**
 * The one numeric matrix type of the library: `rows x cols` values, row-major (`values[i * cols + j]` is
 * row i, column j), with column names where the columns have them (labels, EHR features). Labels,
 * scores, EHR features, embeddings and projected points all travel in it; tensors and worker threads
 * take its flat `values` as they are.
 */
export interface Matrix<V extends ArrayLike<number> = Float32Array> {
  rows: number;
  cols: number;
  values: V;
  /** Column names, one per column, when the columns are named. */
  names?: readonly string[];
}

/** A matrix whose columns are named (labels of a split, EHR features). */
export interface NamedMatrix<V extends ArrayLike<number> = Float32Array> extends Matrix<V> {
  names: readonly string[];
}

/** Row `i` of `m` (a view on its values when they are a typed array). */
export function matrixRow<V extends Float32Array | Float64Array>(m: Matrix<V>, i: number): V {
  return m.values.subarray(i * m.cols, (i + 1) * m.cols) as V;
}

/** The matrix as rows of plain numbers (`number[][]`), e.g. for Plotly or JSON. */
export function matrixToRows(m: Matrix<ArrayLike<number>>): number[][] {
  const out: number[][] = new Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = Array.from({ length: m.cols }, (_, j) => m.values[i * m.cols + j]);
  return out;
}
