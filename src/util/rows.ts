/** Rows `rows` of a row-major matrix `width` columns wide, in that order (labels, features, embeddings of a subset). */
export function takeRows(values: Float32Array, width: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) out.set(values.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
  return out;
}
