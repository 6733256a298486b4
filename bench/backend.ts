/**
 * `npm run bench -- backend [--batch 8] [--steps 3] [--slow-steps 1] [--backends tensorflow,wasm,cpu]`
 *
 * One ViT-Tiny-shaped training step (192 wide, 12 layers, 6 heads, patch 16; forward + backward of
 * the mean square of the class token over all parameters) on 96 px images, on each backend that
 * starts here (switched with `backend.init({ prefer })`), and the same step in PyTorch when the
 * reference venv imports torch: ms/step of each and the ratio to PyTorch.
 */
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../src/backend";
import { vit } from "../src/model/vit";
import { referencePython, runPython } from "./support/python";
import { median, printTable, writeResult } from "./support/report";

/**
 * When other work shares the CPUs (then it returns true), PyTorch's OpenMP threads spin-wait against
 * it and a step takes 5-30x longer (measured here: 0.2 s -> 1.3-6 s), so the reference runs with
 * OMP_WAIT_POLICY=PASSIVE (threads sleep when idle), which keeps it near its idle-machine speed.
 */
export function quietReference(): boolean {
  const load = os.loadavg()[0];
  if (load <= os.cpus().length) return false;
  console.log(
    `note: load average ${load.toFixed(1)} on ${os.cpus().length} cores: other work shares the CPUs, timings are noisy (compare the best steps); PyTorch runs with OMP_WAIT_POLICY=PASSIVE`,
  );
  process.env.OMP_WAIT_POLICY ??= "PASSIVE";
  return true;
}

/** The value after `--name` in the arguments, or the fallback. */
export function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/** Median ms of `steps` forward+backward steps after one warm-up step, on the current backend. */
function timeStep(batch: number, steps: number): { msPerStep: number; bestMs: number; times: number[] } {
  const model = vit({ size: "tiny", imageSize: 96, seed: 0 });
  const x = tf.randomNormal([batch, 96, 96, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const step = () => {
    const { value, grads } = tf.variableGrads(
      () => tf.tidy(() => model.forward(x).square().mean() as tf.Scalar),
      model.variables(),
    );
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  x.dispose();
  model.dispose();
  return { msPerStep: median(times), bestMs: Math.min(...times), times };
}

export async function run(args: string[]): Promise<void> {
  const batch = Number(arg(args, "batch", "8"));
  const steps = Number(arg(args, "steps", "3"));
  const slowSteps = Number(arg(args, "slow-steps", "1"));
  const names = arg(args, "backends", "tensorflow,wasm,cpu").split(",") as backend.BackendName[];
  console.log(`ViT-Tiny forward + backward, batch ${batch}, 96 px`);
  const load = os.loadavg()[0];
  const rows: Record<string, string | number | undefined>[] = [];
  const results: Record<string, unknown> = {};
  for (const name of names) {
    const info = await backend.init({ prefer: name, quiet: true });
    if (info.name !== name) {
      rows.push({
        backend: name,
        "ms/step": undefined,
        note: `did not start (${info.fallbacks.find((f) => f.name === name)?.reason ?? "unavailable"})`,
      });
      continue;
    }
    const r = timeStep(batch, name === "tensorflow" ? steps : slowSteps);
    results[name] = { ...r, threads: info.threads };
    rows.push({
      backend: `${name} (${info.threads} thread${info.threads > 1 ? "s" : ""})`,
      "ms/step": r.msPerStep,
      "best ms": r.bestMs,
    });
  }
  const py = referencePython(["torch"]);
  let torchMs: number | undefined;
  if (py.python) {
    const passive = quietReference();
    const ref = runPython(py.python, "msn_backend.py", [String(batch), String(steps)]) as {
      msPerStep: number;
      threads: number;
      torch: string;
      times: number[];
    };
    torchMs = ref.msPerStep;
    results.pytorch = ref;
    rows.push({
      backend: `PyTorch ${ref.torch} (${ref.threads} threads${passive ? ", OMP passive" : ""})`,
      "ms/step": ref.msPerStep,
      "best ms": 1000 * Math.min(...ref.times),
    });
  } else {
    console.log(`PyTorch reference skipped: ${py.reason}`);
  }
  for (const r of rows) {
    const ms = r["ms/step"];
    if (typeof ms === "number" && torchMs !== undefined) r["x PyTorch time"] = ms / torchMs;
  }
  printTable(rows);
  const tfMs = (results.tensorflow as { msPerStep?: number } | undefined)?.msPerStep;
  if (tfMs !== undefined && torchMs !== undefined)
    console.log(`ratio tensorflow / PyTorch (time per step): ${(tfMs / torchMs).toFixed(2)}`);
  writeResult("backend", {
    batch,
    steps,
    loadAverage: load,
    results,
    ratioTensorflowToPytorch: tfMs !== undefined && torchMs !== undefined ? tfMs / torchMs : undefined,
  });
}
