/**
 * ehr-msn: EHR-augmented Masked Siamese Networks for chest X-ray representation learning.
 * The public surface; each name is a layer (see DESIGN.md).
 */
export * as backend from "./backend";
export { InputError } from "./util/errors";
export { Rng } from "./util/random";
export { progress, setProgressRenderer } from "./util/progress";
