/**
 * `npm run bench -- images [--images 600] [--batches 5]`
 *
 * The image pipeline, side by side with the authors' (PIL + numpy re-implementation of their
 * torchvision transforms, bench/python/images_pipeline.py; torchvision itself is not installable
 * here: CUDA-only wheels) in the same run:
 *   - phantom radiographs written (512 px JPEGs, worker threads), images/s;
 *   - resize-cache build from those JPEGs (shorter side 256), images/s;   target >= 150 on 2 cores;
 *   - MSN views of a batch of 64 (2 x 224 + 10 x 96 px), batches/s, and through the loader (reads
 *     + views); compared with what a pretraining step consumes (bench/results/pretrain.json).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../src/backend";
import { buildCache } from "../src/images/cache";
import { loader } from "../src/images/loader";
import { msnViews } from "../src/images/views";
import { writePhantoms, type PhantomSpec } from "../src/synth/phantoms";
import { packageRoot } from "../src/util/paths";
import { Rng } from "../src/util/random";
import { referencePython, runPython } from "./support/python";
import { median, peakRssMiB, printTable, writeResult } from "./support/report";

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : fallback;
}

const BATCH = 64;

export async function run(args: string[]): Promise<void> {
  const n = arg(args, "images", 600);
  const batches = arg(args, "batches", 5);
  const info = await backend.init({ quiet: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-bench-images-"));
  try {
    // Phantoms: the inputs of the cache build, and a figure of their own.
    const views = ["PA", "AP", "LATERAL", "PA"];
    const specs: PhantomSpec[] = Array.from({ length: n }, (_, i) => ({
      dicomId: `b${i}`,
      file: path.join(dir, "files", `p1${i % 10}`, `p1000000${i % 10}`, `s${i}`, `b${i}.jpg`),
      positive: i % 3 === 0 ? ["Cardiomegaly"] : [],
      uncertain: [],
      view: views[i % 4],
      position: "Erect",
      sex: i % 2 ? "M" : "F",
      age: 30 + (i % 60),
      icu: i % 5 === 0,
      seed: i,
    }));
    const ph = await writePhantoms(specs, { quiet: true });
    const phantomsPerSecond = n / ph.seconds;

    const sources = specs.map((s, i) => ({ id: s.dicomId, path: s.file, split: i % 10 === 0 ? "test" : "train" }));
    const t0 = performance.now();
    const cache = await buildCache({ images: sources, dir: path.join(dir, "cache"), quiet: true });
    const cachePerSecond = n / ((performance.now() - t0) / 1000);

    // MSN views of one batch held in memory (the transform alone), then whole loader epochs (reads + views).
    const batch = cache.getBatch(Array.from({ length: BATCH }, (_, i) => i));
    tf.dispose(msnViews(batch, new Rng(0))); // warm-up
    const times: number[] = [];
    for (let b = 0; b < batches; b++) {
      const t = performance.now();
      const v = msnViews(batch, new Rng(b + 1));
      await v.focal.data(); // the work is done when the values can be read
      times.push((performance.now() - t) / 1000);
      tf.dispose(v);
    }
    const viewSeconds = median(times);
    const l = loader({
      cache,
      batchSize: BATCH,
      shuffle: true,
      seed: 1,
      dropLast: true,
      transform: (imgs, rng) => msnViews(imgs, rng),
    });
    const t1 = performance.now();
    let got = 0;
    for await (const b of l) {
      await b.focal.data();
      tf.dispose([b.target, b.anchor, b.focal]);
      if (++got === batches) break;
    }
    const loaderSeconds = (performance.now() - t1) / 1000 / got;
    cache.close();

    const py = referencePython(["numpy", "PIL"]);
    let reference: Record<string, unknown> | undefined;
    if (py.python) {
      const list = path.join(dir, "list.txt");
      fs.writeFileSync(list, specs.map((s) => s.file).join("\n"));
      reference = runPython(py.python, "images_pipeline.py", [
        "--list",
        list,
        "--out",
        path.join(dir, "py-cache.u8"),
        "--batch",
        String(BATCH),
        "--batches",
        String(batches),
        "--workers",
        String(os.availableParallelism()),
      ]);
    }
    const refCache = reference?.cacheImagesPerSecond as { oneProcess: number; pool: number } | undefined;
    const refMsn = reference?.msnSecondsPerBatch as { oneProcess: number; pool: number } | undefined;

    // What a pretraining step consumes, from the pretrain benchmark's last result when there is one.
    const pretrain = readPretrain();
    const consumedPerSecond = pretrain ? pretrain.imagesPerSecond / 12 : undefined; // images (each 12 views) per second
    const producedPerSecond = BATCH / loaderSeconds;

    console.log(
      `\nimage pipeline: ${n} phantoms of 512 px, batch ${BATCH}, backend ${info.name} (${info.threads} threads)`,
    );
    console.log(`reference: ${reference ? String(reference.implementation) : `not run (${py.reason})`}\n`);
    printTable([
      {
        stage: "phantoms written (512 px JPEG)",
        unit: "img/s",
        "ehr-msn": phantomsPerSecond,
        reference: undefined,
        ratio: undefined,
        target: "2,000 in < 60 s",
      },
      {
        stage: "cache build (decode + resize 256)",
        unit: "img/s",
        "ehr-msn": cachePerSecond,
        reference: refCache?.pool,
        ratio: refCache ? cachePerSecond / refCache.pool : undefined,
        target: ">= 150",
      },
      {
        stage: "  reference in one process",
        unit: "img/s",
        "ehr-msn": undefined,
        reference: refCache?.oneProcess,
        ratio: refCache ? cachePerSecond / refCache.oneProcess : undefined,
        target: undefined,
      },
      {
        stage: "MSN views, batch of 64 in memory",
        unit: "batch/s",
        "ehr-msn": 1 / viewSeconds,
        reference: refMsn ? 1 / refMsn.pool : undefined,
        ratio: refMsn ? refMsn.pool / viewSeconds : undefined,
        target: undefined,
      },
      {
        stage: "  reference in one process",
        unit: "batch/s",
        "ehr-msn": undefined,
        reference: refMsn ? 1 / refMsn.oneProcess : undefined,
        ratio: refMsn ? refMsn.oneProcess / viewSeconds : undefined,
        target: undefined,
      },
      {
        stage: "loader: reads + MSN views",
        unit: "batch/s",
        "ehr-msn": 1 / loaderSeconds,
        reference: undefined,
        ratio: undefined,
        target: "> pretraining's use",
      },
    ]);
    const verdict =
      consumedPerSecond === undefined
        ? "no bench/results/pretrain.json: run `npm run bench -- pretrain` to compare with a pretraining step"
        : `a pretraining step consumes ${consumedPerSecond.toFixed(1)} images/s (bench/results/pretrain.json: ViT-Tiny, batch ${pretrain!.batch}, ${pretrain!.secondsPerStep.toFixed(1)} s/step); ` +
          `the loader produces ${producedPerSecond.toFixed(0)} images/s, ${(producedPerSecond / consumedPerSecond).toFixed(0)}x more`;
    console.log(`\n${verdict}`);
    console.log(
      `ratios > 1: ehr-msn faster. The reference pool has ${os.availableParallelism()} processes, as a DataLoader with num_workers=${os.availableParallelism()}.`,
    );

    writeResult("images", {
      images: n,
      batch: BATCH,
      backend: info.name,
      threads: info.threads,
      ours: {
        phantomsPerSecond,
        cacheImagesPerSecond: cachePerSecond,
        msnSecondsPerBatch: viewSeconds,
        msnTimes: times,
        loaderSecondsPerBatch: loaderSeconds,
        peakRssMiB: peakRssMiB(),
      },
      reference: reference ?? { skipped: py.reason },
      pretrainConsumption:
        consumedPerSecond === undefined
          ? { skipped: "no bench/results/pretrain.json" }
          : {
              imagesPerSecond: consumedPerSecond,
              from: pretrain,
              loaderImagesPerSecond: producedPerSecond,
              headroom: producedPerSecond / consumedPerSecond,
            },
      targets: {
        cacheImagesPerSecond: 150,
        cacheMet: cachePerSecond >= 150,
        augmentationFasterThanPretraining:
          consumedPerSecond === undefined ? "unknown" : producedPerSecond > consumedPerSecond,
      },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The pretrain benchmark's last step time, if it has run: images (all 12 views) per second and its batch. */
function readPretrain(): { imagesPerSecond: number; batch: number; secondsPerStep: number } | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(packageRoot(), "bench", "results", "pretrain.json"), "utf8"));
    const imagesPerSecond = r.ours?.imagesPerSecond,
      batch = r.batch,
      secondsPerStep = r.ours?.secondsPerStep;
    return typeof imagesPerSecond === "number" && typeof batch === "number" && typeof secondsPerStep === "number"
      ? { imagesPerSecond, batch, secondsPerStep }
      : undefined;
  } catch {
    return undefined;
  }
}
