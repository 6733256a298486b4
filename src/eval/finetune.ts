/**
 * Low-data fine-tuning (paper Appendix A.3 and C.3): the whole encoder and a new linear head trained
 * on a random fraction of the training *patients* (1%, 5%, 10%, ...), several random subsets per
 * fraction, each with the run protocol of `protocol.ts` (validation macro AUROC for early stopping and
 * the choice of epoch), evaluated on the full test set with bootstrap CIs. The best subset of a
 * fraction is the one with the best validation macro AUROC (the paper picks "the best performing
 * run ... based on the AUROC metric" without saying on which split; choosing on test would be
 * optimistic).
 *
 * The encoder given is left as it was: every run starts from its weights, which are put back at the end.
 */
import * as tf from "@tensorflow/tfjs";
import type { LabelledDataset } from "../cohort/types";
import { loader, patientSubset } from "../images/loader";
import type { EvalViewOptions, ImageCache, ProbeTrainOptions } from "../images/types";
import type { Encoder } from "../model/encoder";
import { InputError, describeValue } from "../util/errors";
import { checkInt } from "../util/validate";
import { takeRows } from "../util/rows";
import { Rng } from "../util/random";
import type { BootstrapOptions } from "./bootstrap";
import { splitRows, type SplitRows } from "./dataset";
import { embedImages } from "./embeddings";
import { LinearHead, maskedBce } from "./head";
import { runProtocol, type Learner, type ProtocolOptions, type ProtocolResult } from "./protocol";
import { evalReport, type EvalReport } from "./evalReport";
import type { RunSpec } from "./schedule";
import { resultsTable, type ResultsTable } from "./table";
import { encoderViews, type Views } from "./views";
import { ensure as ensureBackend } from "../backend/init";

/** An encoder that can be trained: a differentiable forward pass and its variables (`model.vit`). */
export interface TrainableEncoder extends Encoder {
  /** [B, H, W, C] -> [B, dim] class token, differentiable. */
  forward(images: tf.Tensor4D): tf.Tensor2D;
  variables(): tf.Variable[];
}

/**
 * The fine-tuning run by default: the authors' code default (Adam 1e-4, cosine, early stopping). The
 * paper reuses "the best-performing fine-tuning setup on the full training set"; pass it as `runs`.
 */
export const FINETUNE_RUNS: readonly RunSpec[] = [{ lr: 1e-4, scheduler: "cosine", earlyStopping: true }];

export interface FinetuneOptions extends ProtocolOptions, BootstrapOptions {
  encoder: TrainableEncoder;
  cohort: LabelledDataset;
  cache: ImageCache;
  /** Fractions of the training patients (default [0.01, 0.05, 0.1]). */
  fractions?: number[];
  /** Random subsets per fraction (default 5, as the paper). */
  subsets?: number;
  /** Column of the patient id (default "subject_id"). */
  patientColumn?: string;
  /** Column matching rows to cached images (default: dicom_id, else path). */
  idColumn?: string;
  /** Training batch size (default 64). */
  batchSize?: number;
  /** Leave out the last short training batch (default true, the authors' drop_last). */
  dropLast?: boolean;
  /** Evaluation transform (default: resize 256, centre crop to the encoder's size, ImageNet statistics). */
  view?: EvalViewOptions;
  /** Training augmentation on top of `view` (default: the authors' flip 0.5, affine 45° / 0.15 / 0.85-1.15). */
  trainView?: ProbeTrainOptions;
}

export interface FinetuneSubset {
  fraction: number;
  subset: number;
  patients: number;
  images: number;
  chosen: ProtocolResult["chosen"];
  runs: ProtocolResult["runs"];
  report: EvalReport;
}

export interface FinetuneFraction {
  fraction: number;
  subsets: FinetuneSubset[];
  /** Index of the subset with the best validation macro AUROC. */
  best: number;
  /** Test report of that subset. */
  report: EvalReport;
}

export interface FinetuneResult {
  fractions: FinetuneFraction[];
  /** One row per fraction (its best subset), the paper's format. */
  table(): ResultsTable;
}

/** Fine-tunes `encoder` on fractions of the training patients (see the file comment). */
export async function finetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  await ensureBackend();
  const { encoder, cohort, cache } = opts;
  const fractions = opts.fractions ?? [0.01, 0.05, 0.1];
  fractions.forEach((f, i) => {
    if (!(f > 0 && f <= 1))
      throw new InputError({
        field: `fractions[${i}]`,
        expected: "a fraction of the training patients in (0, 1]",
        found: describeValue(f),
      });
  });
  const subsets = opts.subsets ?? 5;
  checkInt(subsets, "subsets", { min: 1 });
  const patientColumn = opts.patientColumn ?? "subject_id";
  if (!cohort.table.columnNames().includes(patientColumn)) {
    throw new InputError({
      field: "patientColumn",
      expected: `a column of the dataset (${cohort.table.columnNames().join(", ")})`,
      found: describeValue(patientColumn),
    });
  }
  const train = splitRows(cohort, "train", cache, opts.idColumn, opts.quiet);
  const val = splitRows(cohort, "validate", cache, opts.idColumn, opts.quiet);
  const test = splitRows(cohort, "test", cache, opts.idColumn, opts.quiet);
  const patientOfRow = cohort.split("train").array(patientColumn) as ArrayLike<unknown>;
  const subjects = Array.from(train.positions, (p) => String(patientOfRow[p]));
  const views = encoderViews(encoder, opts.view, opts.trainView);
  const seed = opts.seed ?? 0;
  const rng = new Rng(seed);
  const initial = encoder.variables().map((v) => tf.keep(v.clone()));
  try {
    const out: FinetuneFraction[] = [];
    for (const fraction of fractions) {
      const done: FinetuneSubset[] = [];
      for (let s = 0; s < subsets; s++) {
        const subsetSeed = rng.fork(`fraction-${fraction}-subset-${s}`).nextUint32();
        const chosen = patientSubset({ indices: train.indices, subjects, percent: 100 * fraction, seed: subsetSeed });
        const inSubset = new Set(chosen);
        const patients = new Set(subjects.filter((_, j) => inSubset.has(train.indices[j]))).size;
        const r = await trainSubset(
          opts,
          views,
          initial,
          chosen,
          train,
          val,
          test,
          rng.fork(`train-${fraction}-${s}`),
          `finetune ${Math.round(fraction * 1000) / 10}% #${s + 1}`,
        );
        done.push({ fraction, subset: s, patients, images: chosen.length, ...r });
      }
      const best = done.reduce((b, x, i) => (x.chosen.valAuroc > done[b].chosen.valAuroc ? i : b), 0);
      out.push({ fraction, subsets: done, best, report: done[best].report });
    }
    return {
      fractions: out,
      table: () =>
        resultsTable(
          out.map((f) => ({ model: `${Math.round(f.fraction * 1000) / 10}%`, test: f.report.test, ci: f.report.ci })),
        ),
    };
  } finally {
    tf.tidy(() => encoder.variables().forEach((v, i) => v.assign(initial[i])));
    initial.forEach((t) => t.dispose());
  }
}

async function trainSubset(
  opts: FinetuneOptions,
  views: Views,
  initial: tf.Tensor[],
  images: Int32Array,
  train: SplitRows,
  val: SplitRows,
  test: SplitRows,
  rng: Rng,
  label: string,
): Promise<{ chosen: ProtocolResult["chosen"]; runs: ProtocolResult["runs"]; report: EvalReport }> {
  const { encoder, cache } = opts;
  const names = train.labels.names;
  const k = names.length;
  const batchSize = opts.batchSize ?? 64;
  const maxEpochs = opts.maxEpochs ?? 50;
  const loaderSeed = rng.fork("loader").nextUint32();
  // Row of each training image in train.labels, by cache index.
  const rowOf = new Map<number, number>();
  train.indices.forEach((i, row) => rowOf.set(i, row));
  const head = new LinearHead(encoder.dim, names, rng.fork("head"));
  const trainable = () => [...encoder.variables(), ...head.variables()];
  const scores = async (s: SplitRows) => {
    const e = await embedImages({
      encoder,
      cache,
      indices: s.indices,
      view: views.eval,
      viewKey: views.evalKey,
      dir: false,
      quiet: true,
    });
    return head.scores(e.data, e.n);
  };
  try {
    const learner: Learner = {
      variables: trainable,
      reset: (run) => {
        tf.tidy(() => encoder.variables().forEach((v, i) => v.assign(initial[i])));
        const fresh = new LinearHead(encoder.dim, names, rng.fork(`head-run-${run}`));
        head.weight.assign(fresh.weight);
        head.bias.assign(fresh.bias);
        fresh.dispose();
      },
      trainEpoch: async (optimizer, epoch, run) => {
        const batches = loader({
          cache,
          indices: images,
          batchSize,
          shuffle: true,
          seed: loaderSeed,
          epoch: run * maxEpochs + epoch,
          dropLast: opts.dropLast ?? true,
          transform: (imgs, r) => ({ x: views.train(imgs, r) }),
        });
        // Summed on the backend: on a GPU the steps run without waiting for a read back.
        let total = tf.scalar(0);
        for await (const batch of batches) {
          const y = takeRows(
            train.labels.values,
            k,
            Array.from(batch.indices, (i) => rowOf.get(i)!),
          );
          const next = tf.tidy(() => {
            const yt = tf.tensor2d(y, [batch.indices.length, k]);
            const loss = optimizer.minimize(
              () => maskedBce(head.logits(encoder.forward(batch.x)), yt),
              true,
              trainable(),
            ) as tf.Scalar;
            return tf.add(total, loss) as tf.Scalar;
          });
          batch.x.dispose();
          total.dispose();
          total = next;
        }
        const sum = (await total.data())[0];
        total.dispose();
        return batches.batches > 0 ? sum / batches.batches : NaN;
      },
      validate: () => scores(val),
    };
    const yVal = { rows: val.indices.length, cols: k, names, values: val.labels.values };
    const protocol = await runProtocol(learner, yVal, { ...opts, runs: opts.runs ?? FINETUNE_RUNS }, label);
    const report = evalReport(test.labels, await scores(test), opts as BootstrapOptions);
    return { chosen: protocol.chosen, runs: protocol.runs, report };
  } finally {
    head.dispose();
  }
}
