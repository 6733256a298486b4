/**
 * Evaluation: metrics with bootstrap CIs and significance tests, class-token embeddings, the linear
 * probe (the authors' protocol, or a converged logistic regression), low-data fine-tuning, external validation and results tables.
 */
import { bootstrapCi, percentile } from "./bootstrap";
import { compare } from "./compare";
import { auprc, auroc, evaluate, macroAuprc, macroAuroc } from "./metrics";

/** `metrics.auroc(y, s)`, `metrics.macroAuroc(Y, S)`, `metrics.bootstrapCi(Y, S, { n: 1000, seed })`, `metrics.compare(a, b)`. */
export const metrics = { auroc, auprc, macroAuroc, macroAuprc, evaluate, bootstrapCi, compare, percentile };

export { probe, probeEmbeddings, applyHead, describeChoice, PROBE_SPLITS } from "./probe";
export { fitLogistic, logisticSweep, LOGISTIC_C_GRID } from "./logistic";
export { finetune, FINETUNE_RUNS } from "./finetune";
export { externalValidation } from "./external";
export { embedImages } from "./embeddings";
export { resultsTable, labelTable } from "./table";
export { PROTOCOL_RUNS } from "./schedule";
export { PAPER_DOWNSTREAM } from "./protocol";

export type { Interval, BootstrapOptions, BootstrapResult } from "./bootstrap";
export type { Comparison, Difference, AurocDifference, LabelDifference } from "./compare";
export type { LabelResult } from "./labelResult";
export type { Evaluation, LabelMetrics, MetricOptions } from "./metrics";
export type { MatrixLike, NamedValues, ScoredSet } from "./matrix";
export type { NamedMatrix } from "../util/matrix";
export type {
  ProbeRunOptions,
  ProbeOptions,
  ProbeResult,
  CohortProbeResult,
  ProbeData,
  LabelledEmbeddings,
  EmbedSource,
  ProbeSplit,
} from "./probe";
export type { FinetuneOptions, FinetuneResult, FinetuneFraction, FinetuneSubset, TrainableEncoder } from "./finetune";
export type { ExternalOptions, ExternalResult } from "./external";
export type { EmbedOptions, EmbeddingResult, ViewFn } from "./embeddings";
export type { TableEntry, TableOptions, ResultsTable, SignificanceMark } from "./table";
export type { RunSpec } from "./schedule";
export type {
  ProtocolOptions,
  ProtocolResult,
  RunRecord,
  EpochRecord,
  DownstreamPreset,
  DownstreamSettings,
} from "./protocol";
export type { EvalReport } from "./evalReport";
export type { HeadWeights } from "./head";
export type { Views } from "./views";
