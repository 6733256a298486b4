/**
 * Phantom chest radiographs for the synthetic cohort: deterministic grayscale JPEGs drawn
 * procedurally from each image's labels and EHR fields (docs/phantoms.md), written in parallel
 * by worker threads.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { InputError } from "../util/errors";
import type { ChexpertLabel } from "../util/labels";
import { progress } from "../util/progress";
import { checkInt } from "../util/validate";

/** Everything about one image that its picture may show. */
export interface PhantomSpec {
  dicomId: string;
  /** Absolute path of the JPEG to write (MIMIC-CXR-JPG layout files/pXX/pNNNNNNNN/sNNNNNNNN/<dicom_id>.jpg). */
  file: string;
  /** Positive findings of the study (CheXpert 1.0); uncertain ones (-1.0) are drawn faintly. */
  positive: ChexpertLabel[];
  uncertain: ChexpertLabel[];
  /** DICOM ViewPosition as written in the metadata ("PA", "AP", "LATERAL", "LL", "" or other codes). */
  view: string;
  /** "Erect", "Recumbent" or "" (unknown). */
  position: string;
  sex: "M" | "F" | "";
  age: number;
  /** In an ICU stay at the time of the study. */
  icu: boolean;
  /** Seed of this image (deterministic output). */
  seed: number;
  /**
   * Seed of the patient's anatomy (body size, lung shape, vessel tree); give all images of one
   * patient the same value so that they look like the same person. Defaults to `seed`.
   */
  anatomySeed?: number;
}

export interface PhantomOptions {
  /** Long side in pixels (default 512). */
  longSide?: number;
  /** Worker threads (default: the number of cores). */
  concurrency?: number;
  quiet?: boolean;
  /** JPEG quality (default 95, as MIMIC-CXR-JPG). */
  quality?: number;
}

/** Specs sent to a worker per message: large enough to amortise messaging, small enough to balance. */
const CHUNK = 8;

/**
 * Renders and writes every spec's JPEG at `spec.file` (folders are created). Deterministic: the
 * same spec and options give the same bytes, whatever the concurrency.
 */
export async function writePhantoms(
  specs: PhantomSpec[],
  opts: PhantomOptions = {},
): Promise<{ written: number; seconds: number }> {
  const longSide = opts.longSide ?? 512;
  const quality = opts.quality ?? 95;
  if (!Number.isInteger(longSide) || longSide < 16)
    throw new InputError({ field: "longSide", expected: "an integer of at least 16", found: String(longSide) });
  checkInt(quality, "quality", { min: 1, max: 100 });
  const concurrency = checkInt(opts.concurrency ?? os.availableParallelism(), "concurrency", { min: 1 });
  const start = Date.now();
  const bar = progress("phantoms", specs.length, { unit: "img", quiet: opts.quiet });
  const job = { longSide, quality };
  const workerFile = path.join(__dirname, "phantom", "worker.js");
  const threads = Math.min(concurrency, Math.ceil(specs.length / CHUNK));
  if (threads <= 1 || !fs.existsSync(workerFile)) {
    // One thread, or running from TypeScript sources (no compiled worker): render here.
    const { writePhantom } = await import("./phantom/write");
    for (const s of specs) {
      await writePhantom(s, job);
      bar.tick();
    }
  } else {
    await runWorkers(workerFile, specs, job, threads, (n) => bar.tick(n));
  }
  bar.finish();
  return { written: specs.length, seconds: (Date.now() - start) / 1000 };
}

/** Hands out chunks of specs to `threads` workers until all are written; the first failure rejects. */
function runWorkers(
  file: string,
  specs: PhantomSpec[],
  job: { longSide: number; quality: number },
  threads: number,
  onChunk: (written: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let running = threads;
    let failed = false;
    const workers: Worker[] = [];
    const feed = (w: Worker): void => {
      if (failed) return;
      if (next >= specs.length) {
        void w.terminate();
        if (--running === 0) resolve();
        return;
      }
      const chunk = specs.slice(next, next + CHUNK);
      next += CHUNK;
      w.postMessage({ specs: chunk, job });
    };
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    for (let i = 0; i < threads; i++) {
      const w = new Worker(file);
      workers.push(w);
      w.on("message", (m: { ok: true; written: number } | { ok: false; file: string; message: string }) => {
        if (!m.ok) {
          fail(new Error(`writing the phantom ${m.file} failed: ${m.message}`));
          return;
        }
        onChunk(m.written);
        feed(w);
      });
      w.on("error", fail);
      feed(w);
    }
  });
}
