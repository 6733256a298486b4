/** Pretraining: configuration, the loop, AdamW, schedules, checkpoints, and the batch-source contract. */
export { pretrain, pretrainOnSource, PretrainInterruptedError, TrainingDivergedError } from "./pretrain";
export type {
  PretrainOptions,
  PretrainResult,
  PretrainHistory,
  PretrainCallbacks,
  RunOptions,
  StepInfo,
  LoopResult,
} from "./pretrain";
export { trainLoop } from "./loop";
export type { TrainingMethod, StepPosition, MicroStepResult } from "./method";
export { msnMethod } from "./msnMethod";
export type { MsnMethod } from "./msnMethod";
export { dinoMethod, teacherTemperature } from "./dinoMethod";
export type { DinoMethod } from "./dinoMethod";
export { maeMethod } from "./maeMethod";
export type { MaeMethod } from "./maeMethod";
export { METHOD_DEFAULTS, MAE_DEFAULTS } from "./config";
export { cacheSource, cohortSource, PRETRAIN_CACHE_SHORT_SIDE } from "./data";
export type { CacheSource, CacheSourceOptions, CohortSourceOptions } from "./data";
export { pretrainConfig, AUTHORS_DEFAULTS, MSN_PRESET, STOPPING_DEFAULTS } from "./config";
export { PAPER_EARLY_STOPPING } from "./stopping";
export type { EarlyStoppingRule } from "./stopping";
export type { PretrainConfig } from "./config";
export type { BatchSource, PretrainBatch } from "./source";
export { AdamW } from "./optimizer";
export type { AdamWOptions } from "./optimizer";
export { learningRate, emaMomentum } from "./schedules";
export type { LrScheduleOptions, MomentumScheduleOptions, RunPosition } from "./schedules";
export { latestCheckpoint, listCheckpoints } from "./checkpoint";
export type { CheckpointContents, CheckpointState } from "./checkpoint";
