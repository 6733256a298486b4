/**
 * `npm run bench -- evaluate [--resamples 1000] [--ref-resamples N] [--vit tiny|small] [--batch 32]
 * [--batches 4] [--skip-embed] [--skip-bootstrap]`
 *
 * 1. Bootstrap CI of macro AUROC and AUPRC, 1000 resamples of a MIMIC-sized test set (36,625 images x
 *    14 labels, the MIMIC-CXR prevalences), by `metrics.bootstrapCi` and by the authors' loop
 *    (pandas resampling + scikit-learn per resample) in the same run. `--ref-resamples` runs fewer
 *    reference resamples and scales the time up (marked "extrapolated"). Target: under 10 s.
 * 2. Embedding throughput of the frozen encoder (class token of 224 px images, no gradient): the
 *    TF.js ViT of `model.vit` next to PyTorch inference of the same architecture.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../src/backend";
import { bootstrapCi } from "../src/eval/bootstrap";
import { vit, VIT_SIZES, type VitSize } from "../src/model/vit";
import { Rng } from "../src/util/random";
import { CHEXPERT_LABELS } from "../src/util/labels";
import { referencePython, runPython } from "./support/python";
import { printTable, writeResult } from "./support/report";

/** Prevalence of each CheXpert label in MIMIC-CXR (U-Zeros), rounded. */
const PREVALENCE = [0.2, 0.2, 0.05, 0.12, 0.03, 0.02, 0.03, 0.23, 0.33, 0.24, 0.01, 0.07, 0.04, 0.29];
const TEST_ROWS = 36_625;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/** Labels and probe-like sigmoid scores (float32, as a probe returns them) with a moderate signal. */
function testSet(seed: number): { labels: Float32Array; scores: Float32Array } {
  const rng = new Rng(seed);
  const k = PREVALENCE.length;
  const labels = new Float32Array(TEST_ROWS * k);
  const scores = new Float32Array(TEST_ROWS * k);
  for (let i = 0; i < TEST_ROWS; i++) {
    for (let j = 0; j < k; j++) {
      const y = rng.bernoulli(PREVALENCE[j]) ? 1 : 0;
      labels[i * k + j] = y;
      scores[i * k + j] = 1 / (1 + Math.exp(-(rng.normal() + y - 1.5)));
    }
  }
  return { labels, scores };
}

async function bootstrapBench(args: string[]): Promise<Record<string, unknown>> {
  const resamples = Number(arg(args, "resamples", "1000"));
  const refResamples = Number(arg(args, "ref-resamples", String(resamples)));
  const seed = 1;
  const { labels, scores } = testSet(seed);
  const names = [...CHEXPERT_LABELS];
  const t0 = process.hrtime.bigint();
  const ci = bootstrapCi({ names, values: labels }, { names, values: scores }, { n: resamples, seed, quiet: true });
  const ours = Number(process.hrtime.bigint() - t0) / 1e9;
  const rows: Record<string, string | number | undefined>[] = [
    {
      tool: "ehr-msn bootstrapCi",
      resamples,
      seconds: ours,
      auroc: `${ci.auroc.estimate.toFixed(4)} (${ci.auroc.lower.toFixed(4)}, ${ci.auroc.upper.toFixed(4)})`,
      auprc: `${ci.auprc.estimate.toFixed(4)} (${ci.auprc.lower.toFixed(4)}, ${ci.auprc.upper.toFixed(4)})`,
    },
  ];
  const result: Record<string, unknown> = {
    rows: TEST_ROWS,
    labels: names.length,
    resamples,
    ours: { seconds: ours, auroc: ci.auroc, auprc: ci.auprc },
  };
  const py = referencePython(["sklearn", "pandas"]);
  if (py.python) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-bench-"));
    try {
      fs.writeFileSync(path.join(dir, "labels.f32"), Buffer.from(labels.buffer));
      fs.writeFileSync(path.join(dir, "scores.f32"), Buffer.from(scores.buffer));
      fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ rows: TEST_ROWS, cols: names.length, seed }));
      const ref = runPython(py.python, "evaluate_bootstrap.py", [dir, String(refResamples)]) as {
        seconds: number;
        point: { auroc: number; auprc: number };
        aurocCi: number[];
        auprcCi: number[];
      };
      const scaled = (ref.seconds * resamples) / refResamples;
      rows.push({
        tool: `scikit-learn loop${refResamples !== resamples ? ` (${refResamples} run, extrapolated)` : ""}`,
        resamples,
        seconds: scaled,
        auroc: `${ref.point.auroc.toFixed(4)} (${ref.aurocCi[0].toFixed(4)}, ${ref.aurocCi[1].toFixed(4)})`,
        auprc: `${ref.point.auprc.toFixed(4)} (${ref.auprcCi[0].toFixed(4)}, ${ref.auprcCi[1].toFixed(4)})`,
      });
      result.reference = {
        ...ref,
        secondsFor: resamples,
        scaledSeconds: scaled,
        extrapolated: refResamples !== resamples,
      };
      result.speedup = scaled / ours;
      result.pointDifference = {
        auroc: Math.abs(ref.point.auroc - ci.auroc.estimate),
        auprc: Math.abs(ref.point.auprc - ci.auprc.estimate),
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } else {
    console.log(`scikit-learn reference skipped: ${py.reason}`);
  }
  console.log(`\nBootstrap CI of macro AUROC / AUPRC, ${TEST_ROWS} x ${names.length} labels (target: under 10 s)`);
  printTable(rows);
  if (result.speedup !== undefined) {
    const d = result.pointDifference as { auroc: number; auprc: number };
    console.log(
      `ratio (scikit-learn / ehr-msn): ${(result.speedup as number).toFixed(1)}x; point estimates differ by ${d.auroc.toExponential(1)} (AUROC), ${d.auprc.toExponential(1)} (AUPRC)`,
    );
  }
  return result;
}

async function embedBench(args: string[]): Promise<Record<string, unknown>> {
  const size = arg(args, "vit", "tiny") as VitSize;
  const batch = Number(arg(args, "batch", "32"));
  const batches = Number(arg(args, "batches", "4"));
  const info = await backend.init();
  const encoder = vit({ size, seed: 0 });
  const x = tf.randomNormal([batch, 224, 224, 3]) as tf.Tensor4D;
  const run = () => {
    const e = encoder.embed(x);
    e.dataSync();
    e.dispose();
  };
  run(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < batches; i++) run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  x.dispose();
  encoder.dispose();
  const ours = (batch * batches) / seconds;
  const rows: Record<string, string | number | undefined>[] = [
    { tool: `ehr-msn model.vit (${info.name}, ${info.threads} threads)`, vit: size, batch, "images/s": ours },
  ];
  const result: Record<string, unknown> = {
    vit: size,
    batch,
    batches,
    backend: info.name,
    ours: { seconds, imagesPerSecond: ours },
  };
  const py = referencePython(["torch"]);
  if (py.python) {
    const { dim, layers, heads } = VIT_SIZES[size];
    const ref = runPython(
      py.python,
      "evaluate_embed.py",
      [dim, layers, heads, batch, batches, info.threads].map(String),
    ) as { imagesPerSecond: number; seconds: number };
    rows.push({ tool: `PyTorch ${info.threads} threads`, vit: size, batch, "images/s": ref.imagesPerSecond });
    result.reference = ref;
    result.ratio = ref.imagesPerSecond / ours;
  } else {
    console.log(`PyTorch reference skipped: ${py.reason}`);
  }
  console.log(`\nEmbedding throughput: ViT-${size} class token of 224 px images, no gradient`);
  printTable(rows);
  if (result.ratio !== undefined) console.log(`ratio (PyTorch / ehr-msn): ${(result.ratio as number).toFixed(2)}x`);
  return result;
}

export async function run(args: string[]): Promise<void> {
  const bootstrap = args.includes("--skip-bootstrap") ? { skipped: "--skip-bootstrap" } : await bootstrapBench(args);
  const embed = args.includes("--skip-embed") ? { skipped: "--skip-embed" } : await embedBench(args);
  writeResult("evaluate", { bootstrap, embed });
}
