/**
 * ehr-msn: EHR-augmented Masked Siamese Networks for chest X-ray representation learning.
 *
 * The public surface, one namespace per layer (docs/design.md), plus the verbs used most in notebooks:
 *
 *   import { backend, synth, cohort, pretrain, probe, metrics, projection, viz, show } from "ehr-msn";
 */
export * as backend from "./backend";
export * as synth from "./synth";
export * as cohort from "./cohort";
export * as images from "./images";
export * as model from "./model";
export * as train from "./train";
export * as evaluation from "./eval";
export * as viz from "./viz";
export * as projection from "./projection";
export * as notebook from "./notebook";
export * as jupyter from "./jupyter";
export * as pipeline from "./pipeline";

export { pretrain } from "./train";
export { probe, describeChoice, finetune, externalValidation, resultsTable, metrics } from "./eval";
export { show } from "./notebook";

export { InputError } from "./util/errors";
export { Rng } from "./util/random";
export { progress, setProgressRenderer } from "./util/progress";
export { CHEXPERT_LABELS, NIH_LABELS, IGNORE_LABEL } from "./util/labels";
