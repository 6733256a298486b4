/** Experiment runs: a study's configuration, its run folder, its stages from data to report, and HTML reports. */
export { Study } from "./study";
export type { StudyResults } from "./study";
export type { ExternalDataset, ExternalSummary, ProbeSummary, StudyProbe } from "./summaries";
export {
  studyConfig,
  mergeConfig,
  layeredStudyConfig,
  STUDY_DEFAULTS,
  DEMO_CONFIG,
  demoModels,
  TABLE3_MODELS,
  RANDOM_MODEL,
  DINO_MODEL,
  MAE_MODEL,
  table3Models,
} from "./config";
export type { EncoderInit } from "./encoderInit";
export type { StudyConfig, ModelSpec } from "./config";
export type { ConfigLayer, ConfigSource } from "./configLayers";
export { RunFolder } from "./runFolder";
export { report } from "./htmlReport";
export type { ReportOptions, ReportSection } from "./htmlReport";
export { tableReading } from "./tableReading";
export { renderHtml, renderText, figureHtml } from "./render";
export type { RenderOptions } from "./render";
export { submitToSlurm } from "./slurm/submit";
export type { Submission, SubmitOptions } from "./slurm/submit";
export { slurmStatus, statusText } from "./slurm/status";
export type { SlurmStatus, TaskStatus } from "./slurm/status";
export { watchSlurm } from "./slurm/watch";
export type { SlurmOptions } from "./slurm/options";
