/**
 * Linear evaluation as the authors do it (method-reference §14, paper §4.3 and Appendix A.3): a 14-way linear
 * head with sigmoid BCE on the frozen encoder's class token, Adam, the run protocol of
 * `protocol.ts` (learning rates x cosine / reduce-on-plateau, early stopping on the validation macro
 * AUROC, 50 epochs at most), and the best-on-validation head evaluated once on the test set with
 * bootstrap CIs.
 *
 * The head trains on embeddings computed once and cached (`embeddings.ts`): an epoch is then a few
 * matrix products instead of a pass of the ViT over every image, which makes the whole protocol take
 * minutes instead of hours. The authors also augmented the probe's training images (flip, affine);
 * `augment: true` in `probe` reproduces that by embedding augmented images again every epoch, at the
 * cost of a ViT forward pass over the training split per epoch; `preset: "paper"` sets it with every
 * other downstream setting of the paper (protocol.ts, `PAPER_DOWNSTREAM`).
 */
import * as tf from "@tensorflow/tfjs";
import type { LabelledDataset, SplitSelector } from "../cohort/types";
import type { EvalViewOptions, ImageCache, ProbeTrainOptions } from "../images/types";
import type { Encoder } from "../model/encoder";
import { datasetCache } from "../images/datasetCache";
import { InputError, describeValue } from "../util/errors";
import { checkInt } from "../util/validate";
import { Rng } from "../util/random";
import type { Points } from "../projection/points";
import type { BootstrapOptions } from "./bootstrap";
import { splitRows, type SplitRows } from "./dataset";
import { embedImages } from "./embeddings";
import { LinearHead, epochBatches, headEpoch, type HeadWeights } from "./head";
import { logisticSweep, type LogisticChoice } from "./logistic";
import type { NamedMatrix } from "../util/matrix";
import { checkLabels, type NamedValues } from "./matrix";
import {
  runProtocol,
  withPreset,
  type DownstreamPreset,
  type Learner,
  type ProtocolOptions,
  type ProtocolResult,
} from "./protocol";
import { evalReport, type EvalReport } from "./evalReport";
import { evaluate } from "./metrics";
import { encoderViews } from "./views";
import { ensure as ensureBackend } from "../backend/init";

/** Embeddings of one split ([n x dim], row-major) and their labels ([n x labels]). */
export interface LabelledEmbeddings {
  x: Points;
  y: NamedValues;
}

export interface ProbeData {
  train: LabelledEmbeddings;
  validate: LabelledEmbeddings;
  test: LabelledEmbeddings;
}

export const PROBE_SPLITS = ["train", "validate", "test"] as const;
export type ProbeSplit = (typeof PROBE_SPLITS)[number];

export interface ProbeOptions extends ProtocolOptions, BootstrapOptions {
  /** Batch size of the head's training (default 64, as the authors). */
  batchSize?: number;
  /** Leave out the last short training batch of each epoch (default true, the authors' drop_last). */
  dropLast?: boolean;
  /**
   * Also drop the last short batch of the validation and test sets after a seeded shuffle, as the
   * authors' loaders did (up to batchSize - 1 random test images unscored). Default false.
   */
  authorsEvalDropLast?: boolean;
  /**
   * Fit the probe as scikit-learn's StandardScaler + LogisticRegression(C), to convergence, for each
   * C here, keeping the best on validation (eval/logistic.ts), instead of the authors' Adam runs
   * (`runs`, `maxEpochs`, `patience` and `batchSize` then do not apply). For studies of thousands of images.
   */
  logisticC?: readonly number[];
}

export interface ProbeResult extends EvalReport {
  /** The run and epoch picked on validation, with its learning rate and schedule; or the C of a `logisticC` sweep. */
  chosen: ProbeChoice;
  /** Every run with its per-epoch history (none for a `logisticC` sweep). */
  runs: ProtocolResult["runs"];
  /** Every C of a `logisticC` sweep with its validation macro AUROC. */
  sweep?: LogisticChoice[];
  /** The trained head (apply it elsewhere with `applyHead`). */
  head: HeadWeights;
  /** Embeddings and labels of every split, as used (for t-SNE and further analysis). */
  embeddings: Record<ProbeSplit, Points>;
  labels: Record<ProbeSplit, NamedMatrix<ArrayLike<number>>>;
  /** Rows left out of validation and test by `authorsEvalDropLast` (0 otherwise). */
  dropped: { validate: number; test: number };
}

/** What validation chose: an Adam run and epoch (the authors' protocol), or a C (`logisticC`). */
export type ProbeChoice = ProtocolResult["chosen"] | LogisticChoice;

/** The Adam run and epoch of a choice (an Error for a `logisticC` sweep's, which has none). */
export function protocolChoice(c: ProbeChoice): ProtocolResult["chosen"] {
  if ("c" in c) throw new Error(`the probe was a logisticC sweep (C = ${c.c}), not Adam runs`);
  return c;
}

/** A choice in words: "Adam lr 0.001, cosine with early stopping, epoch 12" or "logistic regression C = 0.3". */
export function describeChoice(c: ProbeChoice): string {
  if ("c" in c) return `logistic regression to convergence, C = ${c.c} (${c.iterations} Newton steps)`;
  const schedule = c.scheduler === "cosine" ? "cosine" : "reduce-on-plateau";
  return `Adam lr ${c.lr}, ${schedule}${c.earlyStopping ? " with early stopping" : ""}, epoch ${c.epoch}`;
}

/** Re-embeds the training images for an epoch (augmented views); the rows stay in the same order. */
export type TrainEmbeddings = (epoch: number, run: number) => Promise<Float32Array>;

/** Where the images come from, and how they are embedded (shared by `probe` and `externalValidation`). */
export interface EmbedSource {
  /** The frozen encoder (its class token is the embedding). */
  encoder: Encoder;
  /** The image cache holding the dataset's images (`images.buildCache`). */
  cache: ImageCache;
  /** Evaluation transform (default: resize 256, centre crop to the encoder's size, ImageNet statistics). */
  view?: EvalViewOptions;
  /** Column matching rows to cached images (default: dicom_id, else path). */
  idColumn?: string;
  /** Images per forward pass when embedding (default 64). */
  embedBatchSize?: number;
  /** Folder of the embedding files (default `<cache.dir>/embeddings`); false: keep none. */
  embeddingsDir?: string | false;
  quiet?: boolean;
}

export interface ProbeRunOptions extends Omit<EmbedSource, "cache">, ProbeOptions {
  /** MIMIC-CXR cohort, NIH-14 or any dataset with train / validate / test splits. */
  cohort: LabelledDataset;
  /**
   * An open image cache holding the dataset's images, or its folder; built there from every split's
   * images when absent (default: a folder of its own under the system's temporary folder), as `pretrain` does.
   */
  cache?: ImageCache | string;
  /** Shorter image side when the cache is built (default 256). */
  cacheShortSide?: number;
  /**
   * The authors' train-time augmentation of the probe (flip, affine): the training images are
   * embedded again, augmented, every epoch. Default false: the head trains on cached embeddings.
   */
  augment?: boolean | ProbeTrainOptions;
  /**
   * "paper": every downstream setting of the paper at once (`PAPER_DOWNSTREAM`: the augmented
   * protocol, re-embedded every epoch, with its runs, epochs, stopping and batches); fields given win.
   */
  preset?: DownstreamPreset;
}

/** A probe's result with how many rows of each split were evaluated and left out. */
export interface CohortProbeResult extends ProbeResult {
  rows: Record<ProbeSplit, { rows: number; missing: number }>;
}

/** The rows of a split and their embeddings (cached on disk unless `embeddingsDir` is false). */
export async function embedSplit(
  src: EmbedSource,
  dataset: LabelledDataset,
  split: SplitSelector,
): Promise<{ rows: SplitRows; x: Points }> {
  const rows = splitRows(dataset, split, src.cache, src.idColumn, src.quiet);
  const views = encoderViews(src.encoder, src.view);
  const x = await embedImages({
    encoder: src.encoder,
    cache: src.cache,
    indices: rows.indices,
    view: views.eval,
    viewKey: views.evalKey,
    batchSize: src.embedBatchSize,
    dir: src.embeddingsDir,
    label: `embed ${split}`,
    quiet: src.quiet,
  });
  return { rows, x: { data: x.data, n: x.n, dims: x.dims } };
}

/**
 * The linear probe of a frozen encoder on a dataset: `probe({ encoder, cohort })`. Builds or opens
 * the image cache (as `pretrain` does; or give `cache`), embeds
 * every split once (cached on disk, keyed by the encoder's weights), trains the head with the
 * authors' protocol on the training embeddings, picks the best run and epoch on validation, and
 * evaluates it on test with bootstrap CIs. `preset: "paper"` trains on augmented images instead,
 * embedded again every epoch, with every other setting of the paper's downstream evaluation.
 */
export async function probe(given: ProbeRunOptions): Promise<CohortProbeResult> {
  const options = withPreset(given);
  const images = await datasetCache(options.cohort, "all", {
    cache: options.cache,
    shortSide: options.cacheShortSide,
    quiet: options.quiet,
  });
  try {
    return await probeWithCache({ ...options, cache: images.cache });
  } finally {
    if (images.owned) images.cache.close();
  }
}

/** `probe` once the cache is open. */
async function probeWithCache(opts: ProbeRunOptions & { cache: ImageCache }): Promise<CohortProbeResult> {
  const parts = {} as Record<ProbeSplit, { rows: SplitRows; x: Points }>;
  for (const split of PROBE_SPLITS) parts[split] = await embedSplit(opts, opts.cohort, split);
  const data = {} as ProbeData;
  for (const split of PROBE_SPLITS) data[split] = { x: parts[split].x, y: parts[split].rows.labels };
  let augment: TrainEmbeddings | undefined;
  if (opts.augment) {
    const views = encoderViews(opts.encoder, opts.view, opts.augment === true ? {} : opts.augment);
    const maxEpochs = opts.maxEpochs ?? 50;
    const seed = new Rng(opts.seed ?? 0).fork("augment").nextUint32();
    augment = async (epoch, run) =>
      (
        await embedImages({
          encoder: opts.encoder,
          cache: opts.cache,
          indices: parts.train.rows.indices,
          view: views.train,
          viewKey: "augmented",
          batchSize: opts.embedBatchSize,
          dir: false,
          seed,
          epoch: run * maxEpochs + epoch,
          quiet: true,
        })
      ).data;
  }
  const result = await trainProbe(data, opts, augment);
  const rows = {} as CohortProbeResult["rows"];
  for (const split of PROBE_SPLITS) rows[split] = { rows: parts[split].rows.rows, missing: parts[split].rows.missing };
  return { ...result, rows };
}

/** Trains and evaluates a linear probe on precomputed embeddings. */
export async function probeEmbeddings(data: ProbeData, opts: ProbeOptions = {}): Promise<ProbeResult> {
  return trainProbe(data, opts);
}

/** `probeEmbeddings`, optionally with training embeddings renewed every epoch (`augment`). */
export async function trainProbe(
  data: ProbeData,
  opts: ProbeOptions,
  augment?: TrainEmbeddings,
  label = "probe",
): Promise<ProbeResult> {
  await ensureBackend();
  const { dim, names } = checkProbeData(data);
  const batchSize = checkInt(opts.batchSize ?? 64, "batchSize", { min: 1 });
  const seed = opts.seed ?? 0;
  const rng = new Rng(seed);
  const validate = opts.authorsEvalDropLast
    ? dropLastBatch(data.validate, batchSize, rng.fork("validate-order"))
    : { set: data.validate, dropped: 0 };
  const test = opts.authorsEvalDropLast
    ? dropLastBatch(data.test, batchSize, rng.fork("test-order"))
    : { set: data.test, dropped: 0 };
  const labelled = (s: LabelledEmbeddings) => ({ rows: s.x.n, cols: names.length, names, values: s.y.values });
  const shared = (report: EvalReport, head: HeadWeights) => ({
    ...report,
    head,
    embeddings: { train: data.train.x, validate: validate.set.x, test: test.set.x },
    labels: { train: labelled(data.train), validate: labelled(validate.set), test: labelled(test.set) },
    dropped: { validate: validate.dropped, test: test.dropped },
  });
  if (opts.logisticC) {
    if (augment)
      throw new InputError({
        field: "logisticC",
        expected: "no augmentation (the logistic probe fits the cached embeddings once)",
        found: "augment",
      });
    const yVal = labelled(validate.set);
    const score = async (h: HeadWeights) =>
      evaluate(yVal, { names, values: await applyHead(h, validate.set.x) }, { quiet: true }).macroAuroc;
    const fit = await logisticSweep(data.train, opts.logisticC, score);
    const report = evalReport(labelled(test.set), await applyHead(fit.head, test.set.x), opts);
    return { ...shared(report, fit.head), chosen: fit.chosen, runs: [], sweep: fit.sweep };
  }
  const head = new LinearHead(dim, names, rng.fork("head"));
  const tensors = {
    x: tf.tensor2d(data.train.x.data, [data.train.x.n, dim]),
    y: tf.tensor2d(Float32Array.from(data.train.y.values), [data.train.x.n, names.length]),
  };
  try {
    const learner: Learner = {
      variables: () => head.variables(),
      reset: (run) => {
        // Each run starts from its own PyTorch-style initialisation (a fresh nn.Linear per run, as the authors).
        const fresh = new LinearHead(dim, names, rng.fork(`head-run-${run}`));
        head.weight.assign(fresh.weight);
        head.bias.assign(fresh.bias);
        fresh.dispose();
      },
      trainEpoch: async (optimizer, epoch, run) => {
        if (augment) {
          const x = await augment(epoch, run);
          tensors.x.dispose();
          tensors.x = tf.tensor2d(x, [data.train.x.n, dim]);
        }
        const batches = epochBatches(
          data.train.x.n,
          batchSize,
          rng.fork(`batches-${run}-${epoch}`),
          opts.dropLast ?? true,
        );
        return headEpoch(head, optimizer, tensors.x, tensors.y, batches);
      },
      validate: async () => head.scores(validate.set.x.data, validate.set.x.n),
    };
    const protocol = await runProtocol(learner, labelled(validate.set), opts, label);
    const report = evalReport(labelled(test.set), await head.scores(test.set.x.data, test.set.x.n), opts);
    return { ...shared(report, await head.read()), chosen: protocol.chosen, runs: protocol.runs };
  } finally {
    tf.dispose([tensors.x, tensors.y]);
    head.dispose();
  }
}

/** Sigmoid scores of a trained head on other embeddings (labels in the head's order). */
export async function applyHead(head: HeadWeights, x: Points): Promise<Float32Array> {
  if (x.dims !== head.dim)
    throw new InputError({ field: "embeddings", expected: `${head.dim} dimensions (the head's)`, found: `${x.dims}` });
  const h = LinearHead.from(head);
  try {
    return await h.scores(x.data, x.n);
  } finally {
    h.dispose();
  }
}

/** Checks the three splits: same dimension and labels, rows matching, finite embeddings, valid labels. */
export function checkProbeData(data: ProbeData): { dim: number; names: readonly string[] } {
  if (data === null || typeof data !== "object")
    throw new InputError({ field: "data", expected: "{ train, validate, test }", found: describeValue(data) });
  let dim = -1;
  let names: readonly string[] = [];
  for (const split of PROBE_SPLITS) {
    const s = data[split];
    if (!s || !s.x || !s.y)
      throw new InputError({
        field: split,
        expected: "{ x: { data, n, dims }, y: { names, values } }",
        found: describeValue(s),
      });
    if (s.x.n === 0)
      throw new InputError({ field: split, expected: "at least one image (an empty split?)", found: "0 rows" });
    if (s.x.data.length !== s.x.n * s.x.dims)
      throw new InputError({
        field: `${split}.x`,
        expected: `${s.x.n} x ${s.x.dims} values`,
        found: `${s.x.data.length}`,
      });
    if (dim < 0) {
      dim = s.x.dims;
      names = s.y.names;
    } else if (s.x.dims !== dim) {
      throw new InputError({ field: `${split}.x`, expected: `${dim} dimensions (as train)`, found: `${s.x.dims}` });
    } else if (s.y.names.length !== names.length || s.y.names.some((n, j) => n !== names[j])) {
      throw new InputError({
        field: `${split}.y.names`,
        expected: `the labels of train (${names.join(", ")})`,
        found: s.y.names.join(", "),
      });
    }
    const cols = s.y.names.length;
    if (s.y.values.length !== s.x.n * cols) {
      throw new InputError({
        field: `${split}.y`,
        expected: `${s.x.n} rows of ${cols} labels (one per embedding)`,
        found: `${s.y.values.length / cols} rows`,
      });
    }
    checkLabels({ rows: s.x.n, cols, names: s.y.names, values: s.y.values }, `${split}.y`);
    for (let i = 0; i < s.x.data.length; i++) {
      if (!Number.isFinite(s.x.data[i])) {
        throw new InputError({
          field: `${split}.x`,
          row: Math.floor(i / dim) + 1,
          expected: "finite embedding values",
          found: describeValue(s.x.data[i]),
        });
      }
    }
  }
  return { dim, names };
}

/** The authors' drop_last on an evaluation split: shuffle (seeded) and cut to whole batches. */
function dropLastBatch(
  s: LabelledEmbeddings,
  batchSize: number,
  rng: Rng,
): { set: LabelledEmbeddings; dropped: number } {
  const keep = s.x.n - (s.x.n % batchSize);
  if (keep === 0)
    throw new InputError({
      field: "authorsEvalDropLast",
      expected: `an evaluation split of at least batchSize (${batchSize}) rows`,
      found: `${s.x.n}`,
    });
  const order = rng.permutation(s.x.n).subarray(0, keep);
  const { dims } = s.x;
  const k = s.y.names.length;
  const x = new Float32Array(keep * dims);
  const y = new Float32Array(keep * k);
  order.forEach((row, i) => {
    x.set(s.x.data.subarray(row * dims, (row + 1) * dims), i * dims);
    for (let j = 0; j < k; j++) y[i * k + j] = s.y.values[row * k + j];
  });
  return { set: { x: { data: x, n: keep, dims }, y: { names: s.y.names, values: y } }, dropped: s.x.n - keep };
}
