/**
 * Synthetic MIMIC-shaped data: the MIMIC-IV and MIMIC-CXR-JPG tables (`generate`) and, through the
 * phantom writer, chest-radiograph phantoms that agree with them.
 */
export { generate } from "./generate";
export type { SynthOptions, SynthResult } from "./generate";
export { MIMIC_COUNTS } from "./population";
export type { SynthCounts } from "./population";
export { writePhantoms } from "./phantoms";
export type { PhantomSpec, PhantomOptions } from "./phantoms";
