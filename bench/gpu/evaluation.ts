/**
 * The GPU check's line on embedding and probing: the linear probe's path (embed every split, train the
 * head, choose, test) on webgpu against the cpu backend at toy size (test/backend/evalParity.ts, the
 * tolerances of the webgpu evaluation test), and the speed on webgpu of embedding at the model's size
 * (the evaluation view included) and of a probe's epochs on embeddings of that width.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { embedImages } from "../../src/eval/embeddings";
import { probeEmbeddings, type ProbeData } from "../../src/eval/probe";
import { encoderViews } from "../../src/eval/views";
import { vit, type VitOptions } from "../../src/model/vit";
import { Rng } from "../../src/util/random";
import { embeddingParity, probeParity, TOLERANCE } from "../../test/backend/evalParity";
import { memoryCache } from "../../test/eval/support";

/** What embedding and probing are timed at: the ViT, its images and how many. */
interface EvalSize {
  name: string;
  vit: VitOptions;
  /** Side of the cached (square, grey) images; the view resizes to 256 and crops to the ViT's size. */
  side: number;
  images: number;
  batch: number;
  probeRows: number;
  probeEpochs: number;
}

function evalSize(smoke: boolean): EvalSize {
  return smoke
    ? {
        name: "toy ViT",
        vit: { dim: 16, layers: 1, heads: 2, imageSize: 32, patch: 8 },
        side: 40,
        images: 16,
        batch: 8,
        probeRows: 256,
        probeEpochs: 2,
      }
    : { name: "ViT-Small", vit: { size: "small" }, side: 256, images: 512, batch: 64, probeRows: 8192, probeEpochs: 5 };
}

export interface EvaluationCheck {
  /** The one line the check prints. */
  line: string;
  /** Whether every difference from the cpu backend is within its tolerance. */
  ok: boolean;
  result: Record<string, unknown>;
}

/** Runs the parity and the timings on webgpu (the backend already chosen) and says how they went. */
export async function checkEvaluation(smoke: boolean): Promise<EvaluationCheck> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-gpu-eval-"));
  try {
    const embed = await embeddingParity(tmp, true);
    const probe = await probeParity(tmp, true);
    const aurocs = { webgpu: probe.webgpu.macro.auroc.estimate, cpu: probe.cpu.macro.auroc.estimate };
    const ok =
      embed.diff <= TOLERANCE.embeddings * embed.scale &&
      probe.lossDiff <= TOLERANCE.probeLoss &&
      probe.weightDiff <= TOLERANCE.probeWeights &&
      probe.scoreDiff <= TOLERANCE.probeScores &&
      Math.abs(aurocs.webgpu - aurocs.cpu) <= TOLERANCE.auroc &&
      probe.applyHeadExact;
    const size = evalSize(smoke);
    const speed = await timeEvaluation(size);
    const line =
      `embedding + probe on webgpu: ${size.name} embeds ${speed.imagesPerSecond.toFixed(1)} images/s ` +
      `(${size.images} images, batch ${size.batch}, view included); a probe epoch on ${size.probeRows} x ${speed.dim} ` +
      `embeddings takes ${speed.secondsPerProbeEpoch.toFixed(2)} s; vs the cpu backend (tiny ViT): embeddings within ` +
      `${embed.diff.toExponential(1)} at scale ${embed.scale.toFixed(2)}, probe head within ${probe.weightDiff.toExponential(1)}, ` +
      `macro AUROC ${aurocs.webgpu.toFixed(4)} vs ${aurocs.cpu.toFixed(4)}: ${ok ? "within tolerance" : "OVER TOLERANCE"}`;
    const parity = {
      embeddingDiff: embed.diff,
      embeddingScale: embed.scale,
      probeLossDiff: probe.lossDiff,
      probeWeightDiff: probe.weightDiff,
      probeScoreDiff: probe.scoreDiff,
      auroc: aurocs,
      tolerance: TOLERANCE,
    };
    return { line, ok, result: { ok, parity, speed: { ...size, ...speed } } };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Embeds random grey images at `size` (after one warm-up batch), then trains a probe on random embeddings. */
async function timeEvaluation(
  size: EvalSize,
): Promise<{ dim: number; imagesPerSecond: number; secondsPerProbeEpoch: number }> {
  const rng = new Rng(11);
  const images = Array.from({ length: size.images }, (_, i) => ({
    id: `img${i}`,
    split: "all",
    image: {
      width: size.side,
      height: size.side,
      channels: 1 as const,
      data: Uint8Array.from({ length: size.side * size.side }, () => rng.int(256)),
    },
  }));
  const encoder = vit({ ...size.vit, seed: 1 });
  const dim = encoder.dim;
  try {
    const cache = memoryCache(images, "gpu-check-images");
    const views = encoderViews(encoder);
    const embed = (indices: Int32Array) =>
      embedImages({
        encoder,
        cache,
        indices,
        view: views.eval,
        viewKey: views.evalKey,
        batchSize: size.batch,
        dir: false,
        quiet: true,
      });
    await embed(Int32Array.from({ length: size.batch }, (_, i) => i)); // compiles the kernels
    const t0 = performance.now();
    await embed(Int32Array.from({ length: size.images }, (_, i) => i));
    const imagesPerSecond = size.images / ((performance.now() - t0) / 1000);

    const split = (n: number): ProbeData["train"] => {
      const y = Float32Array.from({ length: n * 3 }, () => (rng.bernoulli(0.3) ? 1 : 0));
      const x = Float32Array.from({ length: n * dim }, (_, j) => rng.normal() + y[Math.floor(j / dim) * 3 + (j % 3)]);
      return { x: { data: x, n, dims: dim }, y: { names: ["a", "b", "c"], values: y } };
    };
    const data = { train: split(size.probeRows), validate: split(size.probeRows / 4), test: split(size.probeRows / 4) };
    const runs = [{ lr: 1e-3, scheduler: "cosine" as const, earlyStopping: false }];
    const t1 = performance.now();
    await probeEmbeddings(data, { runs, maxEpochs: size.probeEpochs, n: 10, quiet: true });
    return { dim, imagesPerSecond, secondsPerProbeEpoch: (performance.now() - t1) / 1000 / size.probeEpochs };
  } finally {
    encoder.dispose();
  }
}
