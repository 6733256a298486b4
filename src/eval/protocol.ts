/**
 * The authors' model selection for downstream training: several runs (learning rate x schedule),
 * at most `maxEpochs` epochs each, the validation macro AUROC after every epoch, the best epoch of
 * each run kept (Lightning's ModelCheckpoint), the best of all runs restored for the one test pass.
 * Shared by the linear probe (a head on fixed embeddings) and fine-tuning (encoder + head).
 */
import * as tf from "@tensorflow/tfjs";
import type { EvalViewOptions, ProbeTrainOptions } from "../images/types";
import { InputError } from "../util/errors";
import { checkInt, checkOneOf } from "../util/validate";
import { progress } from "../util/progress";
import type { NamedMatrix } from "../util/matrix";
import { evaluate } from "./metrics";
import { adam, setLearningRate } from "./head";
import { EarlyStopping, PROTOCOL_RUNS, ReduceOnPlateau, checkRuns, cosineLr, type RunSpec } from "./schedule";

/** What the protocol trains: its variables, a fresh start per run, an epoch, and validation scores. */
export interface Learner {
  /** Variables the optimizer updates (and the checkpoint saves). */
  variables(): tf.Variable[];
  /** Puts the initial weights back before run `run` (0-based). */
  reset(run: number): void;
  /** Trains one epoch with `optimizer`; returns the mean training loss. */
  trainEpoch(optimizer: tf.Optimizer, epoch: number, run: number): Promise<number>;
  /** Sigmoid scores of the validation rows, row-major [rows x labels]. */
  validate(): Promise<Float32Array>;
}

export interface ProtocolOptions {
  /** Runs to try (default `PROTOCOL_RUNS`: 3 cosine + early stopping, 2 reduce-on-plateau). */
  runs?: readonly RunSpec[];
  /** Epochs per run at most (default 50). */
  maxEpochs?: number;
  /** Early stopping patience in epochs (default 5). */
  patience?: number;
  /** Least improvement of the validation macro AUROC that resets the patience (default 1e-5, the authors' code). */
  minDelta?: number;
  /** ReduceLROnPlateau factor and patience (default 0.5 and 3). */
  plateau?: { factor?: number; patience?: number };
  quiet?: boolean;
}

/** One epoch of one run. */
export interface EpochRecord {
  epoch: number;
  lr: number;
  loss: number;
  valAuroc: number;
  valAuprc: number;
}

export interface RunRecord {
  spec: RunSpec;
  /** Epoch (0-based) with the best validation macro AUROC. */
  bestEpoch: number;
  bestValAuroc: number;
  /** Epochs trained (fewer than maxEpochs when early stopping fired). */
  epochs: number;
  stoppedEarly: boolean;
  history: EpochRecord[];
}

export interface ProtocolResult {
  /** The run and epoch whose weights were restored (best validation macro AUROC over all runs). */
  chosen: RunSpec & { run: number; epoch: number; valAuroc: number };
  runs: RunRecord[];
}

/** Named sets of downstream settings: "paper" (`PAPER_DOWNSTREAM`). */
export type DownstreamPreset = "paper";

/** What a preset sets: the protocol's options and the probe's batches, augmentation and views. */
export interface DownstreamSettings extends Required<Omit<ProtocolOptions, "quiet">> {
  batchSize: number;
  dropLast: boolean;
  augment: ProbeTrainOptions;
  view: EvalViewOptions;
}

/**
 * The paper's downstream settings (its Appendix A.3, with the authors' code where the text lost its
 * numbers; method-reference §14), as `preset: "paper"` sets them: Adam, batch 64 with the last short
 * training batch dropped; the five runs of PROTOCOL_RUNS (three cosine with early stopping, patience 5
 * and min delta 1e-5 on the validation macro AUROC; two reduce-on-plateau, factor 0.5, patience 3), at
 * most 50 epochs each, the best run and epoch on validation tested once; the training images
 * augmented as the authors' code does, Resize(256), horizontal flip 0.5, RandomAffine (±45°,
 * translate 0.15, scale 0.85-1.15, nearest, zero fill), CenterCrop, and embedded again every epoch;
 * evaluation images Resize(256) and CenterCrop; ImageNet normalisation (the paper's text) for both.
 */
export const PAPER_DOWNSTREAM: Readonly<DownstreamSettings> = {
  runs: PROTOCOL_RUNS,
  maxEpochs: 50,
  patience: 5,
  minDelta: 1e-5,
  plateau: { factor: 0.5, patience: 3 },
  batchSize: 64,
  dropLast: true,
  augment: { hflip: 0.5, degrees: 45, translate: [0.15, 0.15], scale: [0.85, 1.15] },
  view: { resize: 256, normalize: "imagenet" },
};

/**
 * `options` completed by the settings of their `preset`, if any: fields given (not undefined) win;
 * `view` and `augment` merge field by field, and `augment: false` turns the augmentation off.
 */
export function withPreset<
  T extends { preset?: DownstreamPreset; view?: EvalViewOptions; augment?: boolean | ProbeTrainOptions },
>(options: T): T {
  if (options.preset === undefined) return options;
  checkOneOf(options.preset, "preset", ["paper"]);
  const p = PAPER_DOWNSTREAM;
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
  const own = typeof given.augment === "object" ? given.augment : {};
  const augment = given.augment === false ? false : { ...p.augment, ...own };
  return { ...p, ...given, view: { ...p.view, ...given.view }, augment };
}

/** Checks and fills the protocol options. */
export function protocolSettings(opts: ProtocolOptions): Required<Omit<ProtocolOptions, "quiet">> & { quiet: boolean } {
  const runs = opts.runs ?? PROTOCOL_RUNS;
  checkRuns(runs);
  const maxEpochs = checkInt(opts.maxEpochs ?? 50, "maxEpochs", { min: 1 });
  const patience = checkInt(opts.patience ?? 5, "patience", { min: 1 });
  return {
    runs,
    maxEpochs,
    patience,
    minDelta: opts.minDelta ?? 1e-5,
    plateau: opts.plateau ?? {},
    quiet: opts.quiet ?? false,
  };
}

/**
 * An InputError naming the validate split, before any training, when none of its labels has both a
 * positive and a negative (e.g. a one-image split): every epoch is scored on it.
 */
function checkValidationLabels(yVal: NamedMatrix<ArrayLike<number>>): void {
  try {
    evaluate(yVal, { names: yVal.names, values: new Float32Array(yVal.values.length) }, { quiet: true });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError({
      ...e.details,
      field: "the validate split",
      found: `${yVal.rows} image(s): ${e.details.found}`,
      hint: "The best epoch is chosen on it; give it more images (a larger cohort, or a larger validate share).",
    });
  }
}

/**
 * Runs the protocol on `learner`, validating against `yVal`, and leaves the learner's variables at
 * the best checkpoint of all runs.
 */
export async function runProtocol(
  learner: Learner,
  yVal: NamedMatrix<ArrayLike<number>>,
  opts: ProtocolOptions = {},
  label = "probe",
): Promise<ProtocolResult> {
  const s = protocolSettings(opts);
  checkValidationLabels(yVal);
  const bar = progress(label, s.runs.length * s.maxEpochs, { unit: "epoch", quiet: s.quiet });
  const runs: RunRecord[] = [];
  let best: { snapshot: tf.Tensor[]; run: number; epoch: number; valAuroc: number } | undefined;
  for (let r = 0; r < s.runs.length; r++) {
    const spec = s.runs[r];
    learner.reset(r);
    const optimizer = adam(spec.lr);
    const plateau = new ReduceOnPlateau(spec.lr, s.plateau);
    const stopper = new EarlyStopping(s.patience, s.minDelta);
    const record: RunRecord = {
      spec,
      bestEpoch: -1,
      bestValAuroc: -Infinity,
      epochs: 0,
      stoppedEarly: false,
      history: [],
    };
    for (let epoch = 0; epoch < s.maxEpochs; epoch++) {
      const lr = spec.scheduler === "cosine" ? cosineLr(spec.lr, epoch, s.maxEpochs) : plateau.lr;
      setLearningRate(optimizer, lr);
      const loss = await learner.trainEpoch(optimizer, epoch, r);
      const val = evaluate(yVal, { names: yVal.names, values: await learner.validate() }, { quiet: true });
      record.history.push({ epoch, lr, loss, valAuroc: val.macroAuroc, valAuprc: val.macroAuprc });
      record.epochs = epoch + 1;
      if (val.macroAuroc > record.bestValAuroc) {
        record.bestValAuroc = val.macroAuroc;
        record.bestEpoch = epoch;
      }
      if (!best || val.macroAuroc > best.valAuroc) {
        best?.snapshot.forEach((t) => t.dispose());
        best = {
          snapshot: learner.variables().map((v) => tf.keep(v.clone())),
          run: r,
          epoch,
          valAuroc: val.macroAuroc,
        };
      }
      bar.tick(1, { run: r + 1, lr, loss, val_auroc: val.macroAuroc });
      if (spec.scheduler === "reduce") plateau.step(val.macroAuroc);
      if (spec.earlyStopping && stopper.step(val.macroAuroc)) {
        record.stoppedEarly = epoch + 1 < s.maxEpochs;
        bar.tick(s.maxEpochs - epoch - 1);
        break;
      }
    }
    optimizer.dispose();
    runs.push(record);
  }
  bar.finish();
  const chosen = best!;
  tf.tidy(() => learner.variables().forEach((v, i) => v.assign(chosen.snapshot[i])));
  chosen.snapshot.forEach((t) => t.dispose());
  return { chosen: { ...s.runs[chosen.run], run: chosen.run, epoch: chosen.epoch, valAuroc: chosen.valAuroc }, runs };
}
