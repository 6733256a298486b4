/** Experiment runs: a study's configuration, its run folder, and its stages from data to report. */
export { Study } from "./study";
export type { ExternalDataset, ExternalSummary, ProbeSummary, StudyResults } from "./study";
export { studyConfig, mergeConfig, STUDY_DEFAULTS, DEMO_CONFIG, TABLE3_MODELS } from "./config";
export type { StudyConfig, ModelSpec } from "./config";
export { RunFolder } from "./runFolder";
export { submitToSlurm } from "./slurm/submit";
export type { Submission, SubmitOptions } from "./slurm/submit";
export { slurmStatus, statusText } from "./slurm/status";
export type { SlurmStatus, TaskStatus } from "./slurm/status";
export { watchSlurm } from "./slurm/watch";
export type { SlurmOptions } from "./slurm/options";
