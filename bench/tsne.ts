/**
 * `npm run bench -- tsne [--sizes 10000,68000] [--no-sklearn]`: our t-SNE against scikit-learn's
 * Barnes-Hut TSNE on the same clustered 384-dimensional data (like ViT-S embeddings), in the same run.
 * Prints wall times (neighbours included), KL(P || Q) of both embeddings judged the same way (one
 * Python script, scikit-learn's P, exact Q) and trustworthiness (k = 10).
 * Targets (issue 4): not slower than scikit-learn, KL within 5%, trustworthiness at most 0.01 below.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Rng } from "../src/util/random";
import { runTsne } from "../src/projection/tsne";
import { referencePython, runPython } from "./support/python";
import { printTable, writeResult } from "./support/report";

const DIMS = 384;

/**
 * n points near 14 label centres (sizes falling off like CheXpert label counts), each centre with
 * three sub-clusters, living mostly in a 48-dimensional subspace plus isotropic noise: clusters of
 * uneven size and spread with a low intrinsic dimension, as image embeddings have.
 */
export function embeddingLike(n: number, seed = 2024): Float32Array {
  const rng = new Rng(seed);
  const clusters = 14,
    subs = 3,
    latent = 48;
  const basis = Array.from({ length: latent }, () =>
    Float64Array.from({ length: DIMS }, () => rng.normal() / Math.sqrt(DIMS)),
  );
  const centre = Array.from({ length: clusters }, () => Float64Array.from({ length: latent }, () => rng.normal(0, 6)));
  const sub = Array.from({ length: clusters * subs }, () =>
    Float64Array.from({ length: latent }, () => rng.normal(0, 2.5)),
  );
  const spread = Array.from({ length: clusters }, () => rng.range(0.8, 1.6));
  const weights = Array.from({ length: clusters }, (_, k) => 1 / (k + 2));
  const X = new Float32Array(n * DIMS);
  const z = new Float64Array(latent);
  for (let i = 0; i < n; i++) {
    const k = rng.choice(weights);
    const s = k * subs + rng.int(subs);
    for (let a = 0; a < latent; a++) z[a] = centre[k][a] + sub[s][a] + rng.normal(0, spread[k]);
    const row = i * DIMS;
    for (let a = 0; a < latent; a++) {
      const b = basis[a],
        v = z[a];
      for (let j = 0; j < DIMS; j++) X[row + j] += v * b[j];
    }
    for (let j = 0; j < DIMS; j++) X[row + j] += rng.normal(0, 0.15);
  }
  return X;
}

interface SizeResult {
  n: number;
  /** The machine's 1-minute load average when each side started (other work on the machine slows both). */
  ours: {
    seconds: number;
    kl: number;
    trust: number;
    klReported: number;
    workers: number;
    timings: Record<string, number>;
    load: number;
  };
  sklearn?: { seconds: number; kl: number; trust: number; klReported: number; threads: number; load: number };
  trustMethod: string;
}

export async function run(args: string[]): Promise<void> {
  const sizesArg = args.indexOf("--sizes");
  const sizes = sizesArg >= 0 ? args[sizesArg + 1].split(",").map(Number) : [10000, 68000];
  const ref = referencePython(["sklearn", "threadpoolctl"]);
  const withSklearn = !args.includes("--no-sklearn") && ref.python !== undefined;
  if (!ref.python) console.log(`scikit-learn side skipped: ${ref.reason}`);
  const python = ref.python;
  if (!python) {
    console.log("the quality measures (KL, trustworthiness) need the same Python; only times are printed");
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-bench-tsne-"));
  const results: SizeResult[] = [];
  try {
    for (const n of sizes) {
      console.log(`\n== ${n} points x ${DIMS} dimensions`);
      const X = embeddingLike(n);
      const data = path.join(tmp, `x-${n}.f32`);
      fs.writeFileSync(data, Buffer.from(X.buffer, X.byteOffset, X.byteLength));
      const ourLoad = os.loadavg()[0];
      const t0 = performance.now();
      const r = await runTsne(X, { dims: DIMS, perplexity: 30, seed: 0 });
      const seconds = (performance.now() - t0) / 1000;
      const ourFile = path.join(tmp, `ours-${n}.f64`);
      fs.writeFileSync(ourFile, Buffer.from(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength));
      console.log(
        `ehr-msn: ${seconds.toFixed(1)} s on ${r.workers} worker threads (neighbours ${(r.timings.neighborsMs / 1000).toFixed(1)} s, optimisation ${(r.timings.optimizeMs / 1000).toFixed(1)} s), KL estimate ${r.kl.toFixed(4)}`,
      );
      let sk: { seconds: number; kl: number; threads: number } | undefined;
      const skFile = path.join(tmp, `sklearn-${n}.f64`);
      const skLoad = os.loadavg()[0];
      if (withSklearn && python) {
        sk = runPython(python, "tsne_sklearn.py", [data, String(n), String(DIMS), skFile], {
          timeoutMs: 4 * 3600_000,
        }) as typeof sk;
        console.log(
          `scikit-learn: ${sk!.seconds.toFixed(1)} s on ${sk!.threads} threads, KL estimate ${sk!.kl.toFixed(4)}`,
        );
      }
      const quality = python
        ? (runPython(python, "tsne_quality.py", [data, String(n), String(DIMS), ourFile, ...(sk ? [skFile] : [])], {
            timeoutMs: 3600_000,
          }) as { kl: number[]; trust: number[]; trustMethod: string })
        : { kl: [NaN, NaN], trust: [NaN, NaN], trustMethod: "not measured" };
      results.push({
        n,
        ours: {
          seconds,
          kl: quality.kl[0],
          trust: quality.trust[0],
          klReported: r.kl,
          workers: r.workers,
          timings: r.timings,
          load: ourLoad,
        },
        sklearn: sk
          ? {
              seconds: sk.seconds,
              kl: quality.kl[1],
              trust: quality.trust[1],
              klReported: sk.kl,
              threads: sk.threads,
              load: skLoad,
            }
          : undefined,
        trustMethod: quality.trustMethod,
      });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(
    "\nKL: scikit-learn's P (perplexity 30, 91 neighbours) and the exact Q, the same script for both embeddings.",
  );
  printTable(
    results.flatMap((s) => [
      {
        n: s.n,
        tool: "ehr-msn",
        "time s": s.ours.seconds,
        KL: s.ours.kl,
        "trust k=10": s.ours.trust,
        "load at start": s.ours.load,
      },
      ...(s.sklearn
        ? [
            {
              n: s.n,
              tool: "scikit-learn",
              "time s": s.sklearn.seconds,
              KL: s.sklearn.kl,
              "trust k=10": s.sklearn.trust,
              "load at start": s.sklearn.load,
            },
          ]
        : []),
    ]),
  );
  const verdicts = results
    .filter((s) => s.sklearn)
    .map((s) => {
      const sk = s.sklearn!;
      return {
        n: s.n,
        "speed-up (sklearn / ours)": sk.seconds / s.ours.seconds,
        "KL ours / sklearn": s.ours.kl / sk.kl,
        "trust ours - sklearn": s.ours.trust - sk.trust,
        "targets met":
          sk.seconds >= s.ours.seconds && s.ours.kl <= 1.05 * sk.kl && s.ours.trust >= sk.trust - 0.01 ? "yes" : "no",
      };
    });
  if (verdicts.length > 0) {
    console.log("\ntargets: not slower, KL within 5%, trustworthiness at most 0.01 below");
    printTable(verdicts);
  }
  writeResult("tsne", { dims: DIMS, perplexity: 30, iterations: 1000, trustworthinessK: 10, results, verdicts });
}
