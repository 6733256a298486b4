/** Numbers as results print them: differences with their sign, p-values with a floor. */

/** "+0.012" or "-0.003" (three decimals). */
export function signed(x: number): string {
  return `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;
}

/** "0.042", or "< 0.001" below that. */
export function formatP(p: number): string {
  return p < 0.001 ? "< 0.001" : p.toFixed(3);
}

/** "p = 0.131" or "p < 0.001", for sentences. */
export function pText(p: number): string {
  return p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`;
}
