/**
 * The training loop every pretraining method shares: batches by (epoch, index) from a BatchSource,
 * the learning-rate schedule, gradient accumulation, AdamW, checkpoints and exact resume, progress,
 * per-step metrics and callbacks. The method (MSN, ...) brings its model and its step on one
 * micro-batch (train/method.ts). Everything random in a step comes from (seed, epoch, index), and
 * checkpoints hold every other piece of state, so a resumed run reaches exactly the weights of an
 * uninterrupted one.
 */
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { saveEncoder } from "../model/load";
import { writeFileAtomic } from "../util/atomicWrite";
import { InputError } from "../util/errors";
import { progress } from "../util/progress";
import {
  keptEncoderFile,
  latestCheckpoint,
  readCheckpoint,
  readKeptEncoder,
  writeCheckpoint,
  writeKeptEncoder,
  type KeptEncoder,
} from "./checkpoint";
import { readVariablesAhead } from "../backend/webgpu";
import type { PretrainConfig } from "./config";
import type { StepPosition, TrainingMethod } from "./method";
import { AdamW } from "./optimizer";
import { learningRate } from "./schedules";
import { earlyStopEpoch, epochMeanLosses, lowestLossEpoch } from "./stopping";
import type { BatchSource } from "./source";

export interface StepInfo {
  /** Optimizer steps done so far (1-based after the first). */
  step: number;
  totalSteps: number;
  /** Epoch of this step (0-based). */
  epoch: number;
  loss: number;
  lr: number;
  /** EMA momentum of the step, for methods with an EMA target (MSN, DINO). */
  momentum?: number;
  /** Images (all views) per second in this session. */
  imagesPerSecond: number;
}

export interface PretrainCallbacks {
  /** After every optimizer step (e.g. to draw a live loss curve). */
  onStep?(info: StepInfo): void | Promise<void>;
  /**
   * After the last step of each epoch, with the epoch's mean loss and the method's diagnostics of the
   * epoch's last batch (train/diagnostics.ts; taken only when this callback is given).
   */
  onEpochEnd?(info: { epoch: number; meanLoss: number; diagnostics?: Record<string, number> }): void | Promise<void>;
  /** After each checkpoint is written. */
  onCheckpoint?(info: { step: number; dir: string }): void | Promise<void>;
}

export interface RunOptions {
  /** Run folder for checkpoints, `encoder.safetensors` and `history.json`; nothing is written without it. */
  dir?: string;
  /** Continue from the newest checkpoint in `dir` (a run without one starts from the beginning). */
  resume?: boolean;
  callbacks?: PretrainCallbacks;
  /** Draw no progress. */
  quiet?: boolean;
  /**
   * Stops the run cleanly (a scheduler's signal before preemption or the time limit): after the step in
   * progress, a checkpoint is written and the run throws `PretrainInterruptedError`; `resume` continues it.
   */
  signal?: AbortSignal;
}

export interface PretrainHistory {
  /** Mean loss of each optimizer step. */
  loss: number[];
  /** Learning rate of each optimizer step. */
  lr: number[];
}

/** What the loop reports of a finished run (the method's model stays with the caller). */
export interface LoopResult {
  history: PretrainHistory;
  /** Optimizer steps of the whole run, and the step this session started from (0 unless resumed). */
  steps: number;
  resumedFrom: number;
  /** The epoch (0-based) at whose end early stopping ended the run, when it did (`earlyStopping`). */
  stoppedEarlyAfter?: number;
  /** The epoch (0-based) whose encoder the run exported, with `keepEncoder: "lowest-loss"`. */
  keptEpoch?: number;
  /** The final checkpoint and the exported encoder, when `dir` was given. */
  checkpoint?: string;
  encoderFile?: string;
  seconds: number;
  imagesPerSecond: number;
}

/** The loss became NaN or infinite: the run stopped without writing the bad weights. */
export class TrainingDivergedError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly checkpoint: string | undefined,
  ) {
    super(
      `pretraining stopped at step ${step + 1}: the loss is ${loss}. ` +
        (checkpoint ? `The last good checkpoint is ${checkpoint}. ` : "No checkpoint was written before. ") +
        "Lower the learning rate or check the inputs for NaN values.",
    );
    this.name = "TrainingDivergedError";
  }
}

/** The run was stopped through its `signal`, after writing a checkpoint to resume from. */
export class PretrainInterruptedError extends Error {
  constructor(
    readonly step: number,
    readonly checkpoint: string | undefined,
  ) {
    super(`pretraining interrupted after step ${step}` + (checkpoint ? `; resume from ${checkpoint}` : ""));
    this.name = "PretrainInterruptedError";
  }
}

/** A run in progress: what the named steps below share. */
interface Run {
  cfg: PretrainConfig;
  source: BatchSource;
  method: TrainingMethod;
  optimizer: AdamW;
  options: RunOptions;
  history: PretrainHistory;
  stepsPerEpoch: number;
  totalSteps: number;
  lastCheckpoint?: string;
  /** The encoder of the lowest-loss epoch so far (`keepEncoder: "lowest-loss"`). */
  kept?: KeptEncoder;
}

/**
 * Trains `method` on `source` for `cfg.epochs` epochs (resuming from `options.dir` when asked). The
 * optimizer is disposed here; the method's model is disposed on error and left to the caller otherwise.
 */
export async function trainLoop(
  cfg: PretrainConfig,
  source: BatchSource,
  method: TrainingMethod,
  options: RunOptions = {},
): Promise<LoopResult> {
  const optimizer = new AdamW(method.trained, {
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    eps: cfg.eps,
    weightDecay: (name) => method.weightDecay(name),
  });
  const stepsPerEpoch = Math.ceil(source.batchesPerEpoch / cfg.accumulate);
  const run: Run = {
    cfg,
    source,
    method,
    optimizer,
    options,
    history: { loss: [], lr: [] },
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * cfg.epochs,
  };
  try {
    const start = resumePoint(run);
    // A run that early stopping ended before it was resumed stays ended.
    const end = stoppedEarlyAfter(run) >= 0 ? start : run.totalSteps;
    const t0 = Date.now();
    const bar = progress("pretrain", end - start, { unit: "step", quiet: options.quiet });
    let images = 0;
    let steps = end;
    for (let s = start; s < end; s++) {
      const at = position(run, s);
      const { loss, lr, momentum, imagesSeen, diagnostics } = await optimizerStep(run, at, s === start);
      images += imagesSeen;
      const imagesPerSecond = (images * 1000) / Math.max(1, Date.now() - t0);
      bar.set(s + 1 - start, {
        epoch: `${at.epoch + 1}/${cfg.epochs}`,
        loss,
        "img/s": Number(imagesPerSecond.toFixed(1)),
      });
      await report(run, at, { loss, lr, momentum, imagesPerSecond }, diagnostics);
      const early = at.stepInEpoch === at.stepsPerEpoch - 1 && (await epochEnd(run, at.epoch));
      const interrupted = options.signal?.aborted === true && s + 1 < run.totalSteps && !early;
      await checkpointIfDue(run, s + 1, interrupted || early || s + 1 === run.totalSteps);
      if (interrupted) {
        bar.finish();
        throw new PretrainInterruptedError(s + 1, options.dir ? run.lastCheckpoint : undefined);
      }
      if (early) {
        steps = s + 1;
        break;
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    bar.finish();
    const encoderFile = finish(run);
    const stopped = stoppedEarlyAfter(run);
    return {
      history: run.history,
      steps,
      resumedFrom: start,
      ...(stopped >= 0 && { stoppedEarlyAfter: stopped }),
      ...(run.kept && { keptEpoch: run.kept.epoch }),
      checkpoint: options.dir ? run.lastCheckpoint : undefined,
      encoderFile,
      seconds,
      imagesPerSecond: seconds > 0 ? images / seconds : 0,
    };
  } catch (e) {
    method.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
}

/** The step to start from: 0 for a new run, the newest checkpoint's step (restored) when resuming. */
function resumePoint(run: Run): number {
  const { dir, resume } = run.options;
  if (resume && !dir)
    throw new InputError({ field: "resume", expected: "a run folder (`dir`) to resume from", found: "none" });
  run.lastCheckpoint = dir ? latestCheckpoint(dir) : undefined;
  if (!run.lastCheckpoint) return 0;
  if (!resume) {
    // A new run would interleave its checkpoints with the old ones (and a later resume would pick the old).
    throw new InputError({
      field: "dir",
      expected: "a folder without checkpoints for a new run",
      found: `checkpoints of an earlier run (${run.lastCheckpoint})`,
      hint: "Pass resume: true to continue that run, or choose another folder.",
    });
  }
  const c = readCheckpoint(run.lastCheckpoint, { config: run.cfg, data: run.source.signature });
  run.method.loadState(c.model, path.join(run.lastCheckpoint, "model.safetensors"));
  run.optimizer.loadState(c.trainState, c.state.step, path.join(run.lastCheckpoint, "train_state.safetensors"));
  run.history.loss.push(...c.history.loss);
  run.history.lr.push(...c.history.lr);
  if (run.cfg.keepEncoder === "lowest-loss") run.kept = keptOnResume(run, dir!);
  return c.state.step;
}

/**
 * The kept encoder of a resumed run: the file's, when it is of the lowest-loss epoch of the resumed
 * history. A file of a later epoch was written after the checkpoint, before the run was stopped; the
 * replayed steps write that epoch's again, so until then nothing is kept.
 */
function keptOnResume(run: Run, dir: string): KeptEncoder | undefined {
  const means = epochMeanLosses(run.history.loss, run.stepsPerEpoch);
  const best = lowestLossEpoch(means);
  const k = readKeptEncoder(dir);
  if (k && k.epoch >= means.length) return undefined;
  if (best < 0) return undefined;
  if (!k || k.epoch !== best)
    throw new InputError({
      file: keptEncoderFile(dir),
      expected: `the encoder of epoch ${best + 1}, the lowest mean loss of the run (keepEncoder "lowest-loss")`,
      found: k ? `the encoder of epoch ${k.epoch + 1}` : "no file",
      hint: 'Resume with keepEncoder: "last", or start the run again in another folder.',
    });
  return k;
}

/** The epoch (0-based) at whose end early stopping ended the run so far, -1 when it has not. */
function stoppedEarlyAfter(run: Run): number {
  if (run.cfg.earlyStopping === false) return -1;
  return earlyStopEpoch(epochMeanLosses(run.history.loss, run.stepsPerEpoch), run.cfg.earlyStopping);
}

/**
 * At the end of `epoch`: keeps the encoder when the epoch's mean loss is the lowest so far
 * (`keepEncoder: "lowest-loss"`, also written to the run folder); true when early stopping ends the run here.
 */
async function epochEnd(run: Run, epoch: number): Promise<boolean> {
  const means = epochMeanLosses(run.history.loss, run.stepsPerEpoch);
  if (run.cfg.keepEncoder === "lowest-loss" && lowestLossEpoch(means) === epoch) {
    await readVariablesAhead(); // the weights are read synchronously, which webgpu allows only after this
    run.kept = { epoch, meanLoss: means[epoch], values: run.method.encoder.params.read() };
    if (run.options.dir) writeKeptEncoder(run.options.dir, run.kept);
  }
  return stoppedEarlyAfter(run) === epoch;
}

function position(run: Run, step: number): StepPosition {
  return {
    step,
    totalSteps: run.totalSteps,
    epoch: Math.floor(step / run.stepsPerEpoch),
    stepInEpoch: step % run.stepsPerEpoch,
    stepsPerEpoch: run.stepsPerEpoch,
    epochs: run.cfg.epochs,
  };
}

/** One optimizer step: the method's micro-steps over `accumulate` batches, mean gradients, AdamW. */
async function optimizerStep(
  run: Run,
  at: StepPosition,
  firstOfSession: boolean,
): Promise<{ loss: number; lr: number; momentum?: number; imagesSeen: number; diagnostics?: Record<string, number> }> {
  const { cfg, source, method } = run;
  const lr = learningRate(
    {
      lr: cfg.lr,
      minLr: cfg.minLr,
      unit: cfg.lrUnit,
      warmupEpochs: cfg.warmupEpochs,
      warmupStartLr: cfg.warmupStartLr,
      stretch: cfg.scheduleStretch,
    },
    at,
  );
  const { momentum } = method.beginStep(at);
  const first = at.stepInEpoch * cfg.accumulate;
  const last = Math.min(first + cfg.accumulate, source.batchesPerEpoch);
  let lossSum = 0;
  let imagesSeen = 0;
  let gradSum: Map<string, tf.Tensor> | undefined;
  let diagnostics: Record<string, number> | undefined;
  const diagnosing = at.stepInEpoch === at.stepsPerEpoch - 1 && run.options.callbacks?.onEpochEnd && method.diagnose;
  for (let i = first; i < last; i++) {
    const batch = await source.batch(at.epoch, i);
    try {
      method.checkBatch(batch, firstOfSession && i === first);
      const { loss, grads } = await method.microStep(batch, at.epoch, i);
      lossSum += loss;
      gradSum = gradSum ? addInto(gradSum, grads) : grads;
      imagesSeen += method.imagesPerBatch(batch);
      if (diagnosing && i === last - 1) diagnostics = await method.diagnose!(batch);
    } finally {
      tf.dispose(Object.values(batch));
    }
  }
  const n = last - first;
  const loss = lossSum / n;
  if (!Number.isFinite(loss)) {
    tf.dispose([...gradSum!.values()]);
    throw new TrainingDivergedError(at.step, loss, run.lastCheckpoint);
  }
  if (n > 1) gradSum = scale(gradSum!, 1 / n);
  run.optimizer.apply(gradSum!, lr);
  tf.dispose([...gradSum!.values()]);
  method.endStep(at);
  run.history.loss.push(loss);
  run.history.lr.push(lr);
  return { loss, lr, momentum, imagesSeen, diagnostics };
}

/** The step's callbacks, and the epoch's at its last step. */
async function report(
  run: Run,
  at: StepPosition,
  m: { loss: number; lr: number; momentum?: number; imagesPerSecond: number },
  diagnostics?: Record<string, number>,
): Promise<void> {
  const { callbacks } = run.options;
  await callbacks?.onStep?.({ step: at.step + 1, totalSteps: at.totalSteps, epoch: at.epoch, ...m });
  if (at.stepInEpoch === at.stepsPerEpoch - 1) {
    const losses = run.history.loss.slice(-at.stepsPerEpoch);
    const meanLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
    await callbacks?.onEpochEnd?.({ epoch: at.epoch, meanLoss, diagnostics });
  }
}

/**
 * Writes a checkpoint every `checkpointEvery` steps and at the `last` step of the run or of this session
 * (the end, early stopping, a stop signal), when the run has a folder.
 */
async function checkpointIfDue(run: Run, stepsDone: number, last: boolean): Promise<void> {
  const { dir, callbacks } = run.options;
  const due = run.cfg.checkpointEvery > 0 && stepsDone % run.cfg.checkpointEvery === 0;
  if (!dir || !(due || last)) return;
  await readVariablesAhead(); // checkpoints read the weights synchronously, which webgpu allows only after this
  run.lastCheckpoint = writeCheckpoint(
    dir,
    {
      step: stepsDone,
      totalSteps: run.totalSteps,
      config: run.cfg,
      data: run.source.signature,
      model: run.method.state(),
      trainState: run.optimizer.state(),
      history: run.history,
    },
    run.cfg.keepCheckpoints,
  );
  await callbacks?.onCheckpoint?.({ step: stepsDone, dir: run.lastCheckpoint });
}

/**
 * Puts the kept encoder's weights into the method's encoder (`keepEncoder: "lowest-loss"`), then exports
 * the encoder and the history into the run folder; returns the encoder's file.
 */
function finish(run: Run): string | undefined {
  if (run.cfg.keepEncoder === "lowest-loss") {
    const best = lowestLossEpoch(epochMeanLosses(run.history.loss, run.stepsPerEpoch));
    // Only a replay that differs from the run it resumes (another backend) can leave these apart.
    if (!run.kept || run.kept.epoch !== best)
      throw new Error(`the encoder of epoch ${best + 1}, the lowest mean loss, was not kept`);
    run.method.encoder.params.load(run.kept.values, `the encoder of epoch ${best + 1}`);
  }
  const { dir } = run.options;
  if (!dir) return undefined;
  const encoderFile = path.join(dir, "encoder.safetensors");
  saveEncoder(run.method.encoder, encoderFile);
  writeFileAtomic(path.join(dir, "history.json"), JSON.stringify(run.history) + "\n");
  return encoderFile;
}

function addInto(sum: Map<string, tf.Tensor>, add: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [k, v] of sum) {
    out.set(k, tf.add(v, add.get(k)!));
    tf.dispose([v, add.get(k)!]);
  }
  return out;
}

function scale(grads: Map<string, tf.Tensor>, f: number): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [k, v] of grads) {
    out.set(k, tf.mul(v, f));
    v.dispose();
  }
  return out;
}
