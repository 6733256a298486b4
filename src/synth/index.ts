/**
 * Synthetic MIMIC-shaped data: the MIMIC-IV and MIMIC-CXR-JPG tables (`generate`) and, through the
 * phantom writer, chest-radiograph phantoms that agree with them.
 */
export { generate, population, phantomSpecs } from "./generate";
export type { SynthOptions, SynthResult } from "./generate";
export { MIMIC_COUNTS, countsFor } from "./population";
export type { Population, Patient, Admission, IcuStay, Study, Image, SynthCounts } from "./population";
export { FINDINGS, PREDICTORS, findingProbability } from "./model";
export { synthPaths } from "./write";
export { jpegPath } from "../mimic/layout";
export { writePhantoms } from "./phantoms";
export type { PhantomSpec, PhantomOptions } from "./phantoms";
