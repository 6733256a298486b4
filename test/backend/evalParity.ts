/**
 * Embedding and the linear probe run on the cpu backend and then on webgpu, in the same process on the
 * same inputs, measuring how far webgpu's results are from cpu's. Shared by the webgpu evaluation test
 * (which asserts the tolerances) and the GPU check (bench/gpu, which prints them). Reads are
 * asynchronous: the webgpu backend cannot read synchronously.
 */
import * as tf from "@tensorflow/tfjs";
import { embedImages } from "../../src/eval/embeddings";
import { applyHead, probe, type CohortProbeResult } from "../../src/eval/probe";
import { encoderViews } from "../../src/eval/views";
import { vit } from "../../src/model/vit";
import { brightHalves } from "../eval/support";

/** Largest differences allowed: float32 sums in another order (measured values are printed by the test). */
export const TOLERANCE = {
  /** Embeddings, relative to their largest magnitude. */
  embeddings: 1e-5,
  /** Probe: epoch losses (relative), head weights and test scores (absolute), macro AUROC (absolute). */
  probeLoss: 1e-5,
  probeWeights: 1e-5,
  probeScores: 1e-5,
  auroc: 1e-3,
};

/** Images already 16 x 16: the evaluation view is an exact crop. */
export const TINY_VIEW = { resize: 16, crop: 16, channels: 1 as const, normalize: false as const };

/** A ViT small enough for SwiftShader; the same seed gives the same weights on either backend. */
export const tinyVit = () => vit({ dim: 16, layers: 2, heads: 2, imageSize: 16, patch: 4, channels: 1, seed: 3 });

/** `run` on the cpu backend, then on webgpu, which stays the backend afterwards. Prints the seconds each took. */
export async function cpuThenWebgpu<T>(run: () => Promise<T>, quiet = false): Promise<{ cpu: T; webgpu: T }> {
  const t0 = performance.now();
  await tf.setBackend("cpu");
  (tf.backend() as { firstUse?: boolean }).firstUse = false; // silences tfjs' "install tfjs-node" banner
  const cpu = await run();
  const t1 = performance.now();
  await tf.setBackend("webgpu");
  const webgpu = await run();
  if (!quiet)
    console.log(`  (cpu ${((t1 - t0) / 1000).toFixed(1)} s, webgpu ${((performance.now() - t1) / 1000).toFixed(1)} s)`);
  return { cpu, webgpu };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export interface EmbeddingParity {
  rows: number;
  dims: number;
  /** Largest |webgpu - cpu| and the embeddings' largest magnitude. */
  diff: number;
  scale: number;
  /** Whether the second call read the file the first wrote (on each backend). */
  reused: { cpu: boolean; webgpu: boolean };
  /** Tensors left behind by the calls (on each backend). */
  leaked: { cpu: number; webgpu: number };
}

/**
 * The tiny ViT's embeddings of 21 cached images, kept in a file under `dir`. Its weights are first
 * changed by a backend op, as training leaves them (on webgpu they then live only in GPU memory), and the
 * file's key hashes them; the second call must find the file.
 */
export async function embeddingParity(dir: string, quiet = false): Promise<EmbeddingParity> {
  const { cache } = brightHalves(1, dir);
  const indices = cache.indicesOf("train").subarray(0, 21);
  const r = await cpuThenWebgpu(async () => {
    const encoder = tinyVit();
    const before = tf.memory().numTensors;
    tf.tidy(() => encoder.variables().forEach((v) => v.assign(tf.mul(v, 1.5))));
    const views = encoderViews(encoder, TINY_VIEW);
    const opts = {
      encoder,
      cache,
      indices,
      view: views.eval,
      viewKey: views.evalKey,
      batchSize: 8,
      dir: `${dir}/embeddings-${tf.getBackend()}`,
      quiet: true,
    };
    const first = await embedImages(opts);
    const again = await embedImages(opts);
    const leaked = tf.memory().numTensors - before;
    encoder.dispose();
    return { first, reused: again.reused && !first.reused, leaked };
  }, quiet);
  return {
    rows: r.webgpu.first.n,
    dims: r.webgpu.first.dims,
    diff: maxAbsDiff(r.webgpu.first.data, r.cpu.first.data),
    scale: maxAbs(r.cpu.first.data),
    reused: { cpu: r.cpu.reused, webgpu: r.webgpu.reused },
    leaked: { cpu: r.cpu.leaked, webgpu: r.webgpu.leaked },
  };
}

export interface ProbeParity {
  cpu: CohortProbeResult;
  webgpu: CohortProbeResult;
  /** Largest relative difference of the epoch losses. */
  lossDiff: number;
  /** Largest absolute differences of the head's weights and bias, and of the test scores. */
  weightDiff: number;
  scoreDiff: number;
  /** Whether `applyHead` with the returned head gives exactly the test scores, on webgpu. */
  applyHeadExact: boolean;
  leaked: { cpu: number; webgpu: number };
}

/** `probe` of the tiny ViT on a small labelled set (embed every split, train the head, choose, test). */
export async function probeParity(dir: string, quiet = false): Promise<ProbeParity> {
  const { dataset, cache } = brightHalves(2, dir);
  const r = await cpuThenWebgpu(async () => {
    const encoder = tinyVit();
    const before = tf.memory().numTensors;
    const out = await probe({
      encoder,
      cohort: dataset,
      cache,
      view: TINY_VIEW,
      embeddingsDir: false,
      runs: [{ lr: 1e-2, scheduler: "cosine", earlyStopping: true }],
      maxEpochs: 4,
      batchSize: 16,
      n: 50,
      seed: 5,
      quiet: true,
    });
    const again = await applyHead(out.head, out.embeddings.test);
    const leaked = tf.memory().numTensors - before;
    encoder.dispose();
    return { out, again, leaked };
  }, quiet);
  const { cpu, webgpu } = { cpu: r.cpu.out, webgpu: r.webgpu.out };
  const losses = (x: CohortProbeResult) => x.runs.flatMap((run) => run.history.map((h) => h.loss));
  const want = losses(cpu);
  const got = losses(webgpu);
  if (got.length !== want.length) throw new Error(`epochs differ: webgpu ${got.length}, cpu ${want.length}`);
  return {
    cpu,
    webgpu,
    lossDiff: Math.max(...got.map((l, i) => Math.abs(l - want[i]) / want[i])),
    weightDiff: Math.max(maxAbsDiff(webgpu.head.weight, cpu.head.weight), maxAbsDiff(webgpu.head.bias, cpu.head.bias)),
    scoreDiff: maxAbsDiff(webgpu.test.yScore.values, cpu.test.yScore.values),
    applyHeadExact: maxAbsDiff(r.webgpu.again, webgpu.test.yScore.values) === 0,
    leaked: { cpu: r.cpu.leaked, webgpu: r.webgpu.leaked },
  };
}
