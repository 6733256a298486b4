import { IGNORE_LABEL, CHEXPERT_LABELS } from "../util/labels";
import type { UncertainPolicy } from "./types";
import type { CsvColumns } from "./csv";

/** A CheXpert value as read (1, 0, -1, NaN for blank) under an uncertain-label policy; blank is 0. */
export function mapLabel(v: number, uncertain: UncertainPolicy): number {
  if (Number.isNaN(v) || v === 0) return 0;
  if (v === 1) return 1;
  return uncertain === "zeros" ? 0 : uncertain === "ones" ? 1 : IGNORE_LABEL;
}

/**
 * The labels step of `cohort.build`: the 14 CheXpert columns of the images `rows` (metadata rows whose
 * CheXpert row is `labelRow[i]`), under the uncertain-label policy.
 */
export function labelColumns(
  chex: CsvColumns,
  labelRow: Int32Array,
  rows: Int32Array,
  uncertain: UncertainPolicy,
): Record<string, Float32Array> {
  const m = rows.length;
  // CheXpert's 1, 0, -1 and blank (NaN) are indices 3, 2, 1 and 0 of this table: no branch per value.
  const labelValue = Float32Array.of(0, mapLabel(-1, uncertain), 0, 1);
  const labelAt = new Int32Array(m);
  for (let k = 0; k < m; k++) labelAt[k] = labelRow[rows[k]];
  const columns: Record<string, Float32Array> = {};
  for (const name of CHEXPERT_LABELS) {
    const col = chex.numbers[name];
    const out = new Float32Array(m);
    for (let k = 0; k < m; k++) out[k] = labelValue[(col[labelAt[k]] + 2) | 0];
    columns[name] = out;
  }
  return columns;
}
