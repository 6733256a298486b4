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
import type { CachedImage, ImageCache } from "../images/types";
import type { Encoder } from "../model/encoder";
import { InputError, describeValue } from "../util/errors";
import { Rng } from "../util/random";
import type { BootstrapOptions } from "./bootstrap";
import { splitRows, type SplitRows } from "./dataset";
import { embedImages, type ViewFn } from "./embeddings";
import { LinearHead, epochBatches, maskedBce } from "./head";
import { runProtocol, type Learner, type ProtocolOptions, type ProtocolResult } from "./protocol";
import { evalReport, type EvalReport } from "./report";
import type { RunSpec } from "./schedule";
import { resultsTable, type ResultsTable } from "./table";

/** An encoder that can be trained: a differentiable forward pass and its variables (`model.vit`). */
export interface TrainableEncoder extends Encoder {
  /** [B, H, W, C] -> [B, dim] class token, differentiable. */
  forward(images: tf.Tensor4D): tf.Tensor2D;
  variables(): tf.Variable[];
}

/** A random training transform (the authors: flip + affine + centre crop). */
export type TrainViewFn = (images: CachedImage[], rng: Rng) => tf.Tensor4D;

/** The evaluation and training transforms, and a key naming the evaluation one. */
export interface Views {
  eval: ViewFn;
  evalKey: string;
  train: TrainViewFn;
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
export async function finetuneWith(opts: FinetuneOptions, views: Views): Promise<FinetuneResult> {
  const { encoder, cohort, cache } = opts;
  const fractions = opts.fractions ?? [0.01, 0.05, 0.1];
  fractions.forEach((f, i) => {
    if (!(f > 0 && f <= 1)) throw new InputError({ field: `fractions[${i}]`, expected: "a fraction of the training patients in (0, 1]", found: describeValue(f) });
  });
  const subsets = opts.subsets ?? 5;
  if (!Number.isInteger(subsets) || subsets < 1) throw new InputError({ field: "subsets", expected: "a positive whole number", found: describeValue(subsets) });
  const patientColumn = opts.patientColumn ?? "subject_id";
  if (!cohort.table.columnNames().includes(patientColumn)) {
    throw new InputError({ field: "patientColumn", expected: `a column of the dataset (${cohort.table.columnNames().join(", ")})`, found: describeValue(patientColumn) });
  }
  const train = splitRows(cohort, "train", cache, opts.idColumn, opts.quiet);
  const val = splitRows(cohort, "validate", cache, opts.idColumn, opts.quiet);
  const test = splitRows(cohort, "test", cache, opts.idColumn, opts.quiet);
  const patients = trainPatients(cohort, train, cache, patientColumn, opts.idColumn);
  const seed = opts.seed ?? 0;
  const rng = new Rng(seed);
  const initial = encoder.variables().map((v) => tf.keep(v.clone()));
  try {
    const out: FinetuneFraction[] = [];
    for (const fraction of fractions) {
      const done: FinetuneSubset[] = [];
      for (let s = 0; s < subsets; s++) {
        const pick = samplePatients(patients, fraction, rng.fork(`fraction-${fraction}-subset-${s}`));
        const r = await trainSubset(opts, views, initial, pick.rows, train, val, test, rng.fork(`train-${fraction}-${s}`), `finetune ${Math.round(fraction * 1000) / 10}% #${s + 1}`);
        done.push({ fraction, subset: s, patients: pick.patients, images: pick.rows.length, ...r });
      }
      const best = done.reduce((b, x, i) => (x.chosen.valAuroc > done[b].chosen.valAuroc ? i : b), 0);
      out.push({ fraction, subsets: done, best, report: done[best].report });
    }
    return {
      fractions: out,
      table: () => resultsTable(out.map((f) => ({ model: `${Math.round(f.fraction * 1000) / 10}%`, test: f.report.test, ci: f.report.ci }))),
    };
  } finally {
    tf.tidy(() => encoder.variables().forEach((v, i) => v.assign(initial[i])));
    initial.forEach((t) => t.dispose());
  }
}

/** Patient of every kept training row, grouped: patient -> positions in `train.indices`. */
function trainPatients(cohort: LabelledDataset, train: SplitRows, cache: ImageCache, patientColumn: string, idColumn?: string): Map<string, number[]> {
  const table = cohort.split("train");
  const ids = table.array(idColumn ?? (table.columnNames().includes("dicom_id") ? "dicom_id" : "path")) as ArrayLike<unknown>;
  const subject = table.array(patientColumn) as ArrayLike<unknown>;
  const patientOfImage = new Map<number, string>();
  for (let r = 0; r < ids.length; r++) {
    const i = cache.indexOf(String(ids[r]));
    if (i >= 0) patientOfImage.set(i, String(subject[r]));
  }
  const groups = new Map<string, number[]>();
  train.indices.forEach((cacheIndex, pos) => {
    const p = patientOfImage.get(cacheIndex)!;
    const g = groups.get(p);
    if (g) g.push(pos);
    else groups.set(p, [pos]);
  });
  return groups;
}

/** round(fraction x patients) patients (at least one) drawn without replacement; their rows. */
function samplePatients(groups: Map<string, number[]>, fraction: number, rng: Rng): { patients: number; rows: Int32Array } {
  const keys = [...groups.keys()].sort();
  const count = Math.max(1, Math.round(fraction * keys.length));
  const order = rng.permutation(keys.length).subarray(0, count);
  const rows = Array.from(order).flatMap((k) => groups.get(keys[k])!).sort((a, b) => a - b);
  return { patients: count, rows: Int32Array.from(rows) };
}

async function trainSubset(
  opts: FinetuneOptions, views: Views, initial: tf.Tensor[], rows: Int32Array,
  train: SplitRows, val: SplitRows, test: SplitRows, rng: Rng, label: string,
): Promise<{ chosen: ProtocolResult["chosen"]; runs: ProtocolResult["runs"]; report: EvalReport }> {
  const { encoder, cache } = opts;
  const names = train.labels.names;
  const k = names.length;
  const batchSize = opts.batchSize ?? 64;
  const head = new LinearHead(encoder.dim, names, rng.fork("head"));
  const trainable = () => [...encoder.variables(), ...head.variables()];
  const scores = async (s: SplitRows) => {
    const e = await embedImages({ encoder, cache, indices: s.indices, view: views.eval, viewKey: views.evalKey, dir: false, quiet: true });
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
        const epochRng = rng.fork(`epoch-${run}-${epoch}`);
        const batches = epochBatches(rows.length, batchSize, epochRng, opts.dropLast ?? true);
        const read = (b: Int32Array) => cache.readBatch(Array.from(b, (p) => train.indices[rows[p]]));
        let next = batches.length > 0 ? read(batches[0]) : undefined;
        let total = 0;
        for (let b = 0; b < batches.length; b++) {
          const images = await next!;
          next = b + 1 < batches.length ? read(batches[b + 1]) : undefined;
          const y = new Float32Array(batches[b].length * k);
          batches[b].forEach((p, i) => y.set(train.labels.values.subarray(rows[p] * k, (rows[p] + 1) * k), i * k));
          const loss = tf.tidy(() => {
            const x = views.train(images, epochRng);
            const yt = tf.tensor2d(y, [batches[b].length, k]);
            return optimizer.minimize(() => maskedBce(head.logits(encoder.forward(x)), yt), true, trainable()) as tf.Scalar;
          });
          total += (await loss.data())[0];
          loss.dispose();
        }
        return batches.length > 0 ? total / batches.length : NaN;
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
