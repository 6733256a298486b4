/**
 * The GPU check (`npm run bench -- gpu`, or `./run.sh` in the folder `--prepare` makes): on the webgpu
 * backend it prints the adapter, the golden numerics against PyTorch, a line on embedding and probing
 * (their results against the cpu backend's, their speed; bench/gpu/evaluation.ts), one EHR-MSN step (1 target + 1 anchor
 * at 224 px, 10 focal views at 96 px, EHR on) at ViT-Tiny and ViT-Small, batch 64, with images/s, the same
 * step in PyTorch on CUDA (float32 and bf16 autocast) when PyTorch is there, the ratio, peak GPU memory and
 * a per-kernel profile. `--smoke` does it all at toy sizes on any adapter (SwiftShader included): the
 * check of the check, on a machine without a GPU.
 */
import { spawnSync } from "child_process";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { describeAdapter } from "../../src/backend/doctor";
import { checkEmbeddings, checkGradients, checkLoss, loadFixtures } from "../../test/model/goldenChecks";
import { arg } from "../backend";
import { checkEvaluation } from "./evaluation";
import { CONFIG, profileStep, StepConfig, timeSteps } from "../pretrain";
import { referencePython, runPython } from "../support/python";
import { median, printTable, writeResult } from "../support/report";

const FEATURES = 3;
const FOCAL_VIEWS = 10;

/** The two sizes of the issue at the authors' geometry, or toy ones that run on SwiftShader in seconds. */
function models(smoke: boolean): { name: string; config: StepConfig; dim: number; heads: number }[] {
  if (smoke) {
    const toy = {
      imageSize: 32,
      focalSize: 16,
      patch: 8,
      focalViews: 2,
      layers: 1,
      numPrototypes: 16,
      projHidden: 32,
      projOut: 16,
      ehrDim: 8,
    };
    return [{ name: "toy ViT", config: { ...CONFIG, ...toy, dim: 16, heads: 2 }, dim: 16, heads: 2 }];
  }
  return [
    { name: "ViT-Tiny", config: { ...CONFIG, vit: "tiny" }, dim: 192, heads: 6 },
    { name: "ViT-Small", config: { ...CONFIG, vit: "small" }, dim: 384, heads: 6 },
  ];
}

/** GPU memory in use per nvidia-smi (MiB), when it is there. */
function nvidiaSmiMiB(): number | undefined {
  const r = spawnSync("nvidia-smi", ["--query-gpu=memory.used", "--format=csv,noheader,nounits"], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim().split("\n")[0]) : undefined;
}

export async function run(args: string[]): Promise<void> {
  const smoke = args.includes("--smoke");
  const batch = Number(arg(args, "batch", smoke ? "2" : "64"));
  const steps = Number(arg(args, "steps", smoke ? "1" : "3"));
  process.env.EHR_MSN_BACKEND ??= "webgpu";
  const info = await backend.init({ quiet: true });
  if (!info.adapter) throw new Error(`the check runs on webgpu; EHR_MSN_BACKEND chose ${info.name}`);
  console.log(`adapter: ${describeAdapter(info.adapter)}`);
  if (info.adapter.software && !smoke)
    throw new Error("a software adapter: no GPU found by Vulkan (see README, 'The GPU check'); --smoke runs anyway");

  const f = loadFixtures();
  const golden = {
    embeddings: await checkEmbeddings(f, 1e-5),
    loss: (await checkLoss(f, 1e-5), "within 1e-5"),
    gradients: (await checkGradients(f, 1e-5, 1e-4)).worst,
  };
  console.log(
    `golden numerics vs PyTorch float64: embeddings ${golden.embeddings.map((e) => e.toExponential(1)).join(", ")}, ` +
      `loss ${golden.loss}, worst gradient ${golden.gradients.toExponential(1)} (tolerances 1e-5, 1e-5, 1e-4)`,
  );

  const evaluation = await checkEvaluation(smoke);
  console.log(evaluation.line);

  const py = smoke ? { reason: "--smoke" } : referencePython(["torch"]);
  const cuda = py.python
    ? spawnSync(py.python, ["-c", "import torch; assert torch.cuda.is_available()"]).status === 0
    : false;
  const rows: Record<string, string | number | undefined>[] = [];
  const result: Record<string, unknown> = {
    smoke,
    batch,
    steps,
    adapter: info.adapter,
    golden,
    evaluation: evaluation.result,
    models: [],
  };
  for (const m of models(smoke)) {
    const imagesPerStep = batch * (2 + (m.config.focalViews ?? FOCAL_VIEWS));
    let peakBytes = 0;
    const sample = () => {
      const mem = tf.memory() as { numBytesAllocatedInGPU?: number };
      peakBytes = Math.max(peakBytes, mem.numBytesAllocatedInGPU ?? 0);
    };
    const times = await timeSteps(batch, steps, m.config, sample);
    const ours = {
      secondsPerStep: median(times),
      imagesPerSecond: imagesPerStep / median(times),
      peakGpuMiB: peakBytes / 2 ** 20,
      nvidiaSmiMiB: nvidiaSmiMiB(),
    };
    rows.push({
      model: m.name,
      tool: "ehr-msn webgpu",
      "images/s": ours.imagesPerSecond,
      "peak GPU MiB": ours.peakGpuMiB,
    });
    const entry: Record<string, unknown> = { model: m.name, imagesPerStep, ours, torch: {} };
    if (py.python && cuda) {
      for (const precision of ["float32", "bf16"]) {
        const ref = runPython(py.python, "msn_pretrain.py", [
          String(batch),
          String(steps),
          String(FEATURES),
          String(FOCAL_VIEWS),
          String(m.dim),
          String(m.heads),
          "cuda",
          precision,
        ]) as { imagesPerSecond: number; peakGpuMiB: number; torch: string };
        (entry.torch as Record<string, unknown>)[precision] = ref;
        rows.push({
          model: m.name,
          tool: `PyTorch ${ref.torch} CUDA ${precision}`,
          "images/s": ref.imagesPerSecond,
          "peak GPU MiB": ref.peakGpuMiB,
          "webgpu / this": ours.imagesPerSecond / ref.imagesPerSecond,
        });
      }
    }
    entry.profile = await profileStep(batch, m.config);
    (result.models as unknown[]).push(entry);
  }
  if (!py.python || !cuda) console.log(`PyTorch side skipped: ${py.reason ?? "PyTorch sees no CUDA device"}`);
  printTable(rows);
  for (const e of result.models as { model: string; profile: Awaited<ReturnType<typeof profileStep>> }[]) {
    const p = e.profile;
    console.log(
      `\n${e.model}: per-kernel profile of one step, ${p.kernelMs.toFixed(0)} ms in kernels, ${p.wallMs.toFixed(0)} ms wall`,
    );
    printTable(p.kernels.slice(0, 12).map((k) => ({ kernel: k.kernel, calls: k.calls, ms: k.ms, "%": 100 * k.share })));
  }
  writeResult(smoke ? "gpu-smoke" : "gpu", result);
  if (!evaluation.ok) throw new Error("embedding or probing on webgpu differs from the cpu backend (see above)");
}
