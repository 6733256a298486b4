import { IGNORE_LABEL } from "../util/labels";
import type { UncertainPolicy } from "./types";

/** A CheXpert value as read (1, 0, -1, NaN for blank) under an uncertain-label policy; blank is 0. */
export function mapLabel(v: number, uncertain: UncertainPolicy): number {
  if (Number.isNaN(v) || v === 0) return 0;
  if (v === 1) return 1;
  return uncertain === "zeros" ? 0 : uncertain === "ones" ? 1 : IGNORE_LABEL;
}
