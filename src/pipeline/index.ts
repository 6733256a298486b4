/** Experiment runs: a study's configuration, its run folder, and its stages from data to report. */
export { Study } from "./study";
export type { ExternalDataset, ExternalSummary, ProbeSummary, StudyResults } from "./study";
export { studyConfig, mergeConfig, STUDY_DEFAULTS, DEMO_CONFIG, TABLE3_MODELS, RANDOM_MODEL } from "./config";
export type { EncoderInit } from "./encoderInit";
export type { StudyConfig, ModelSpec } from "./config";
export { RunFolder } from "./runFolder";
