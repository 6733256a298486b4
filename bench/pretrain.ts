/**
 * `npm run bench -- pretrain [--method msn|dino|mae] [--batch 16] [--steps 3] [--no-profile]`
 *
 * One CXR-EHR-MSN training step at the authors' geometry (ViT-Tiny, 1 target + 1 anchor view at
 * 224 px, 10 focal views at 96 px, EHR fused, 1024 frozen prototypes) through `pretrainOnSource`
 * on the tensorflow backend, and the same step in the PyTorch reference (bench/python/msn_pretrain.py)
 * in the same run: images/s of each (all 12 views count), the ratio, peak memory, and a per-kernel
 * profile of one TF.js step (`tf.profile`) saying where the time goes. Target: ratio 1.0.
 * `--method dino`: one DINO step instead (2 global + 10 local views, DINO's 65,536-wide head, no EHR),
 * against bench/python/dino_pretrain.py; results in bench/results/pretrain-dino.json.
 * `--method mae`: one MAE step (one 224 px view per image, 75% of its patches masked, the default
 * 256-wide 4-block decoder), against bench/python/mae_pretrain.py; results in bench/results/pretrain-mae.json.
 */
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../src/backend";
import { pretrainOnSource } from "../src/train/pretrain";
import type { BatchSource, PretrainBatch } from "../src/train/source";
import type { PretrainConfig } from "../src/train/config";
import { arg, quietReference } from "./backend";
import { referencePython, runPython } from "./support/python";
import { median, peakRssMiB, printTable, writeResult } from "./support/report";

const FEATURES = ["male", "female", "age_norm"];
const FOCAL_VIEWS = 10;

/** The step's configuration: the model and the views' geometry (224 px and 10 focal views at 96 px by default). */
export type StepConfig = Partial<PretrainConfig>;

/** Random views of the benchmark's shapes; every batch is a copy of the same tensors. */
function randomSource(batch: number, batches: number, config: StepConfig): { source: BatchSource; dispose(): void } {
  const size = config.imageSize ?? 224;
  const focal = config.focalSize ?? 96;
  const views: PretrainBatch = {
    target: tf.randomNormal([batch, size, size, 3], 0, 1, "float32", 1) as tf.Tensor4D,
    anchor: tf.randomNormal([batch, size, size, 3], 0, 1, "float32", 2) as tf.Tensor4D,
    focal: tf.randomNormal(
      [(config.focalViews ?? FOCAL_VIEWS) * batch, focal, focal, 3],
      0,
      1,
      "float32",
      3,
    ) as tf.Tensor4D,
    ehr: tf.randomUniform([batch, FEATURES.length], 0, 1, "float32", 4) as tf.Tensor2D,
  };
  return {
    source: {
      batchesPerEpoch: batches,
      ehrFeatures: (config.method ?? "msn") === "msn" ? FEATURES : [],
      signature: "bench",
      batch: () => ({
        target: views.target.clone(),
        anchor: views.anchor.clone(),
        focal: views.focal.clone(),
        ehr: views.ehr!.clone(),
      }),
    },
    dispose: () => tf.dispose(Object.values(views)),
  };
}

export const CONFIG: StepConfig = { vit: "tiny", epochs: 1, focalViews: FOCAL_VIEWS };

type Method = "msn" | "dino" | "mae";

/** What differs between the methods' benchmarks: the step's title, views counted, reference script and result file. */
const METHODS: Record<
  Method,
  {
    title: (batch: number) => string;
    viewsPerImage: number;
    config?: StepConfig;
    script: string;
    scriptArgs: (batch: number, steps: number) => string[];
    result: string;
  }
> = {
  msn: {
    title: (b) =>
      `MSN training step: ViT-Tiny (6 heads), batch ${b} x (1 target + 1 anchor at 224 px + ${FOCAL_VIEWS} focal at 96 px), EHR on`,
    viewsPerImage: 2 + FOCAL_VIEWS,
    script: "msn_pretrain.py",
    scriptArgs: (b, s) => [String(b), String(s), String(FEATURES.length), String(FOCAL_VIEWS)],
    result: "pretrain",
  },
  dino: {
    title: (b) =>
      `DINO training step: ViT-Tiny (6 heads), batch ${b} x (2 global at 224 px + ${FOCAL_VIEWS} local at 96 px), head 65,536 wide`,
    viewsPerImage: 2 + FOCAL_VIEWS,
    script: "dino_pretrain.py",
    scriptArgs: (b, s) => [String(b), String(s), String(FOCAL_VIEWS)],
    result: "pretrain-dino",
  },
  mae: {
    title: (b) =>
      `MAE training step: ViT-Tiny (6 heads), batch ${b} x 1 view at 224 px, 75% of patches masked, decoder 256 wide x 4 blocks`,
    viewsPerImage: 1,
    // MAE reads one view: no focal views are made.
    config: { focalViews: 0 },
    script: "mae_pretrain.py",
    scriptArgs: (b, s) => [String(b), String(s)],
    result: "pretrain-mae",
  },
};

/**
 * Seconds of each step of a run of `steps` + 1 steps (the first, warm-up, left out); `onStep` is called
 * after each step (a place to sample memory).
 */
export async function timeSteps(
  batch: number,
  steps: number,
  config: StepConfig = CONFIG,
  onStep: () => void = () => {},
): Promise<number[]> {
  const { source, dispose } = randomSource(batch, steps + 1, config);
  const stamps: number[] = [];
  const t0 = performance.now();
  const r = await pretrainOnSource({ ...config, batchSize: batch }, source, {
    quiet: true,
    callbacks: {
      onStep: () => {
        stamps.push(performance.now());
        onStep();
      },
    },
  });
  r.model.dispose();
  dispose();
  const ends = [t0, ...stamps];
  return ends.slice(2).map((t, i) => (t - ends[i + 1]) / 1000);
}

/** Kernel time by kernel name over one training step (after a warm-up step), and the step's wall time. */
export async function profileStep(
  batch: number,
  config: StepConfig = CONFIG,
): Promise<{
  wallMs: number;
  kernelMs: number;
  kernels: { kernel: string; calls: number; ms: number; share: number }[];
}> {
  const { source, dispose } = randomSource(batch, 2, config);
  tf.env().set("CHECK_COMPUTATION_FOR_ERRORS", false);
  let wallMs = 0;
  let started = 0;
  let firstKernel = 0;
  // The profile being recorded (tf.profile has no public hook to mark a point in it).
  const recorded = () =>
    (tf.engine().state as unknown as { activeProfile: { kernels: unknown[] } }).activeProfile.kernels.length;
  const info = await tf.profile(async () => {
    const r = await pretrainOnSource({ ...config, batchSize: batch }, source, {
      quiet: true,
      callbacks: {
        onStep: ({ step }) => {
          if (step === 1) {
            started = performance.now();
            firstKernel = recorded();
          } else {
            wallMs = performance.now() - started;
          }
        },
      },
    });
    r.model.dispose();
  });
  dispose();
  const byName = new Map<string, { calls: number; ms: number }>();
  // "unnamed scope" entries are tf.customGrad ops (a transformer block, a linear layer): their
  // kernels are listed, and timed, on their own as well.
  const kernels = info.kernels.slice(firstKernel).filter((k) => k.name !== "unnamed scope");
  for (const k of kernels) {
    const e = byName.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    byName.set(k.name, e);
  }
  const kernelMs = [...byName.values()].reduce((a, b) => a + b.ms, 0);
  return {
    wallMs,
    kernelMs,
    kernels: [...byName.entries()]
      .map(([kernel, e]) => ({ kernel, calls: e.calls, ms: e.ms, share: e.ms / kernelMs }))
      .sort((a, b) => b.ms - a.ms),
  };
}

export async function run(args: string[]): Promise<void> {
  const batch = Number(arg(args, "batch", "16"));
  const steps = Number(arg(args, "steps", "3"));
  const method = arg(args, "method", "msn") as Method;
  if (!(method in METHODS)) throw new Error(`--method: expected msn, dino or mae, found ${method}`);
  const m = METHODS[method];
  const config: StepConfig = { ...CONFIG, method, ...m.config };
  const info = await backend.init({ prefer: "tensorflow" });
  const imagesPerStep = batch * m.viewsPerImage;
  console.log(`${m.title(batch)}; ${info.name} backend, ${info.threads} threads`);

  const load = os.loadavg()[0];
  const times = await timeSteps(batch, steps, config);
  const best = Math.min(...times);
  const ours = {
    secondsPerStep: median(times),
    bestSecondsPerStep: best,
    times,
    imagesPerSecond: imagesPerStep / median(times),
    bestImagesPerSecond: imagesPerStep / best,
    peakRssMiB: peakRssMiB(),
  };
  const rows: Record<string, string | number | undefined>[] = [
    {
      tool: `ehr-msn (${info.name})`,
      "s/step median": ours.secondsPerStep,
      "s/step best": best,
      "images/s median": ours.imagesPerSecond,
      "images/s best": ours.bestImagesPerSecond,
      "peak RSS MiB": ours.peakRssMiB,
    },
  ];
  const result: Record<string, unknown> = {
    batch,
    steps,
    imagesPerStep,
    backend: info.name,
    threads: info.threads,
    loadAverage: load,
    ours,
  };

  const py = referencePython(["torch"]);
  if (py.python) {
    const passive = quietReference();
    const ref = runPython(py.python, m.script, m.scriptArgs(batch, steps)) as {
      secondsPerStep: number;
      imagesPerSecond: number;
      peakRssMiB: number;
      threads: number;
      torch: string;
      times: number[];
    };
    const refBest = Math.min(...ref.times);
    rows.push({
      tool: `PyTorch ${ref.torch} (${ref.threads} threads${passive ? ", OMP passive" : ""})`,
      "s/step median": ref.secondsPerStep,
      "s/step best": refBest,
      "images/s median": ref.imagesPerSecond,
      "images/s best": imagesPerStep / refBest,
      "peak RSS MiB": ref.peakRssMiB,
    });
    result.reference = ref;
    result.ratio = ours.imagesPerSecond / ref.imagesPerSecond;
    result.ratioBest = refBest / best;
  } else {
    console.log(`PyTorch reference skipped: ${py.reason}`);
  }
  printTable(rows);
  if (result.ratio !== undefined) {
    console.log(
      `ratio (ehr-msn images/s / PyTorch images/s): ${(result.ratio as number).toFixed(2)} median, ${(result.ratioBest as number).toFixed(2)} best step (target 1.0)`,
    );
  }

  if (!args.includes("--no-profile")) {
    const p = await profileStep(batch, config);
    console.log(
      `\nper-kernel profile of one step: ${p.kernelMs.toFixed(0)} ms in kernels, ${p.wallMs.toFixed(0)} ms wall (${(p.wallMs - p.kernelMs).toFixed(0)} ms outside kernels)`,
    );
    printTable(p.kernels.slice(0, 15).map((k) => ({ kernel: k.kernel, calls: k.calls, ms: k.ms, "%": 100 * k.share })));
    result.profile = p;
  }
  writeResult(m.result, result);
}
