/**
 * The classification head of linear evaluation and fine-tuning: `nn.Linear(D, K)` with PyTorch's
 * default initialisation, a sigmoid per label, and binary cross-entropy that masks ignored labels.
 */
import * as tf from "@tensorflow/tfjs";
import { IGNORE_LABEL } from "../util/labels";
import { Rng } from "../util/random";

/** Weights of a trained head: `weight` is [dim x labels] row-major, `bias` [labels]. */
export interface HeadWeights {
  names: readonly string[];
  dim: number;
  weight: Float32Array;
  bias: Float32Array;
}

let nextId = 0;

/** A linear layer D -> K as two TF.js variables. */
export class LinearHead {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  /**
   * PyTorch's default `nn.Linear` initialisation (kaiming_uniform with a = sqrt(5)), which is
   * U(-1/sqrt(D), 1/sqrt(D)) for the weights and the bias alike, drawn from `rng`.
   */
  constructor(
    readonly dim: number,
    readonly names: readonly string[],
    rng: Rng,
    init?: { weight: Float32Array; bias: Float32Array },
  ) {
    const k = names.length;
    const bound = 1 / Math.sqrt(dim);
    const w = init?.weight ?? Float32Array.from({ length: dim * k }, () => rng.range(-bound, bound));
    const b = init?.bias ?? Float32Array.from({ length: k }, () => rng.range(-bound, bound));
    const id = nextId++;
    this.weight = tf.tidy(() => tf.variable(tf.tensor2d(w, [dim, k]), true, `head/weight#${id}`));
    this.bias = tf.tidy(() => tf.variable(tf.tensor1d(b), true, `head/bias#${id}`));
  }

  /** A head with the given trained weights (to apply a MIMIC-trained probe elsewhere). */
  static from(w: HeadWeights): LinearHead {
    return new LinearHead(w.dim, w.names, new Rng(0), { weight: w.weight, bias: w.bias });
  }

  variables(): tf.Variable[] {
    return [this.weight, this.bias];
  }

  /** [B, D] -> [B, K] logits. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, this.weight as tf.Tensor2D), this.bias));
  }

  /**
   * Sigmoid scores of row-major embeddings [rows x dim], in batches; read back as a Float32Array.
   * Asynchronous: webgpu in Node can only read GPU memory with `await data()`.
   */
  async scores(x: Float32Array, rows: number, batch = 4096): Promise<Float32Array> {
    const k = this.names.length;
    const out = new Float32Array(rows * k);
    for (let start = 0; start < rows; start += batch) {
      const n = Math.min(batch, rows - start);
      const s = tf.tidy(() =>
        tf.sigmoid(this.logits(tf.tensor2d(x.subarray(start * this.dim, (start + n) * this.dim), [n, this.dim]))),
      );
      out.set((await s.data()) as Float32Array, start * k);
      s.dispose();
    }
    return out;
  }

  /** The current weights, read back (asynchronously, as webgpu needs). */
  async read(): Promise<HeadWeights> {
    const [weight, bias] = await Promise.all([this.weight.data(), this.bias.data()]);
    return { names: this.names, dim: this.dim, weight: Float32Array.from(weight), bias: Float32Array.from(bias) };
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}

/**
 * Binary cross-entropy of sigmoid(logits) against labels in {0, 1, IGNORE_LABEL}, averaged over the
 * entries that are not ignored (the authors' `nn.BCELoss`, whose labels are never ignored, averages
 * over all entries: the same when nothing is ignored). Computed from the logits, stably:
 * max(z, 0) - z y + log(1 + exp(-|z|)).
 */
export function maskedBce(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const mask = tf.notEqual(labels, IGNORE_LABEL).toFloat();
    const y = tf.mul(labels, mask);
    const loss = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.div(tf.sum(tf.mul(loss, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/**
 * Row order of one epoch: a seeded shuffle cut into batches; with `dropLast` the short tail is left out
 * (the authors' drop_last), unless it is the only batch: a split smaller than one batch would otherwise
 * give epochs of no step, an untrained head scored as if trained.
 */
export function epochBatches(rows: number, batchSize: number, rng: Rng, dropLast: boolean): Int32Array[] {
  const order = rng.permutation(rows);
  const out: Int32Array[] = [];
  for (let start = 0; start < rows; start += batchSize) {
    if (dropLast && start > 0 && start + batchSize > rows) break;
    out.push(order.subarray(start, Math.min(start + batchSize, rows)));
  }
  return out;
}

/**
 * One epoch of a head on fixed embeddings `x` [n, D] and labels `y` [n, K] (tensors kept by the
 * caller), one Adam step per batch. Returns the mean training loss. The epoch's row order goes to the
 * backend once and the losses are summed there: on a GPU nothing is read back until the epoch's end.
 */
export async function headEpoch(
  head: LinearHead,
  optimizer: tf.Optimizer,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  batches: Int32Array[],
): Promise<number> {
  const starts = new Int32Array(batches.length);
  let rowCount = 0;
  batches.forEach((b, i) => {
    starts[i] = rowCount;
    rowCount += b.length;
  });
  const order = new Int32Array(rowCount);
  batches.forEach((b, i) => order.set(b, starts[i]));
  const rowsOfEpoch = tf.tensor1d(order, "int32");
  let total = tf.scalar(0);
  batches.forEach((idx, i) => {
    const next = tf.tidy(() => {
      const rows = tf.slice(rowsOfEpoch, starts[i], idx.length);
      const xb = tf.gather(x, rows);
      const yb = tf.gather(y, rows);
      const loss = optimizer.minimize(() => maskedBce(head.logits(xb), yb), true, head.variables()) as tf.Scalar;
      return tf.add(total, loss) as tf.Scalar;
    });
    total.dispose();
    total = next;
  });
  rowsOfEpoch.dispose();
  const mean = batches.length > 0 ? ((await total.data())[0] as number) / batches.length : NaN;
  total.dispose();
  return mean;
}

/**
 * Adam as the authors' (PyTorch defaults: betas 0.9 / 0.999, eps 1e-8, no weight decay).
 * TF.js's default epsilon is 1e-7, hence explicit.
 */
export function adam(lr: number): tf.AdamOptimizer {
  return tf.train.adam(lr, 0.9, 0.999, 1e-8);
}

/**
 * Changes an optimizer's learning rate between epochs. TF.js keeps it in a protected field that
 * every `applyGradients` reads and has no scheduler API, so the schedules here set it directly.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}
