/** Pretraining: configuration, the loop, AdamW, schedules, checkpoints, and the batch-source contract. */
export { pretrain, pretrainOnSource, PretrainInterruptedError, TrainingDivergedError } from "./pretrain";
export type {
  PretrainOptions,
  PretrainResult,
  PretrainHistory,
  PretrainCallbacks,
  RunOptions,
  StepInfo,
} from "./pretrain";
export { cacheSource, cohortSource } from "./data";
export type { CacheSource, CacheSourceOptions, CohortSourceOptions } from "./data";
export { pretrainConfig, AUTHORS_DEFAULTS, MSN_PRESET, RUN_DEFINING } from "./config";
export type { PretrainConfig } from "./config";
export type { BatchSource, PretrainBatch } from "./source";
export { AdamW } from "./optimizer";
export type { AdamWOptions } from "./optimizer";
export { learningRate, emaMomentum } from "./schedules";
export type { LrScheduleOptions, MomentumScheduleOptions, RunPosition } from "./schedules";
export { writeCheckpoint, readCheckpoint, latestCheckpoint, listCheckpoints, checkpointsDir } from "./checkpoint";
export type { CheckpointContents, CheckpointState } from "./checkpoint";
