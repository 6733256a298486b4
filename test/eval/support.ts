/**
 * Small stand-ins for the eval tests: an encoder built from TF.js ops (a fixed random projection of
 * 4x4-average-pooled pixels) and an in-memory image cache with the `ImageCache` interface.
 */
import * as tf from "@tensorflow/tfjs";
import * as path from "node:path";
import * as aq from "arquero";
import type { LabelledDataset, SplitSelector } from "../../src/cohort/types";
import type { CachedImage, ImageCache } from "../../src/images/types";
import type { Encoder } from "../../src/model/encoder";
import { Rng } from "../../src/util/random";

/** `embed` = tanh(avgPool4(images) · W), W fixed by the seed; the fingerprint changes with the seed. */
export function projectionEncoder(opts: {
  imageSize: number;
  channels: number;
  dim: number;
  seed: number;
}): Encoder & { calls: number; dispose(): void } {
  const { imageSize, channels, dim, seed } = opts;
  const pooled = (imageSize / 4) ** 2 * channels;
  const rng = new Rng(seed);
  const w = tf.tensor2d(
    Float32Array.from({ length: pooled * dim }, () => rng.normal(0, 1 / Math.sqrt(pooled))),
    [pooled, dim],
  );
  const enc = {
    dim,
    imageSize,
    channels,
    calls: 0,
    embed(images: tf.Tensor4D): tf.Tensor2D {
      enc.calls++;
      return tf.tidy(
        () =>
          tf.tanh(tf.matMul(tf.avgPool(images, 4, 4, "valid").reshape([images.shape[0], pooled]), w)) as tf.Tensor2D,
      );
    },
    fingerprint: () => `projection-${imageSize}-${channels}-${dim}-${seed}`,
    dispose: () => w.dispose(),
  };
  return enc;
}

/** Images held in memory behind the `ImageCache` interface (what `images.buildCache` returns). */
export function memoryCache(
  images: { id: string; split: string; image: CachedImage }[],
  dir: string,
): ImageCache & { reads: number } {
  const splits = [...new Set(images.map((x) => x.split))];
  const cache = {
    dir,
    size: images.length,
    shortSide: images[0]?.image.height ?? 0,
    channels: images[0]?.image.channels ?? 1,
    splits,
    reads: 0,
    report: {
      requested: images.length,
      stored: images.length,
      skipped: [],
      skippedByReason: { missing: 0, undecodable: 0 },
      reused: false,
      buildSeconds: 0,
    },
    id: (i: number) => images[i].id,
    split: (i: number) => images[i].split,
    indexOf: (id: string) => images.findIndex((x) => x.id === id),
    indicesOf: (split: string) => Int32Array.from(images.flatMap((x, i) => (x.split === split ? [i] : []))),
    shape: (i: number) => ({ width: images[i].image.width, height: images[i].image.height }),
    get: (i: number) => images[i].image,
    getBatch: (idx: ArrayLike<number>) => Array.from(idx, (i) => images[i].image),
    readBatch: async (idx: ArrayLike<number>) => {
      cache.reads++;
      return Array.from(idx, (i) => images[i].image);
    },
    close: () => undefined,
  };
  return cache as ImageCache & { reads: number };
}

/** Cached images to a [B, S, S, C] tensor scaled to [0, 1] (the images are already S x S). */
export function plainView(images: CachedImage[]): tf.Tensor4D {
  const { width, height, channels } = images[0];
  const data = new Float32Array(images.length * width * height * channels);
  images.forEach((im, b) =>
    data.set(
      Float32Array.from(im.data, (v) => v / 255),
      b * width * height * channels,
    ),
  );
  return tf.tensor4d(data, [images.length, height, width, channels]);
}

/** A labelled dataset over plain rows (dicom_id, subject_id, split and 0/1 labels), as `cohort.build` returns. */
export function memoryDataset(
  rows: { dicom_id: string; subject_id: string; split: string; labels: number[] }[],
  names: string[],
): LabelledDataset {
  const cols: Record<string, unknown[]> = { dicom_id: [], subject_id: [], split: [], path: [] };
  for (const n of names) cols[n] = [];
  for (const r of rows) {
    cols.dicom_id.push(r.dicom_id);
    cols.subject_id.push(r.subject_id);
    cols.split.push(r.split);
    cols.path.push(`files/${r.dicom_id}.jpg`);
    names.forEach((n, j) => cols[n].push(r.labels[j]));
  }
  const table = aq.table(cols);
  const split = (name: SplitSelector) => table.filter(aq.escape((d: { split: string }) => d.split === name));
  return {
    table,
    labelNames: names,
    report: { inputs: [], steps: [], dropped: {}, imputed: { view: 0, position: 0 }, options: {}, text: () => "" },
    split,
    labels: (name: SplitSelector) => {
      const t = split(name);
      const values = new Float32Array(t.numRows() * names.length);
      names.forEach((n, j) =>
        Array.from(t.array(n) as ArrayLike<number>).forEach((v, i) => {
          values[i * names.length + j] = v;
        }),
      );
      return { rows: t.numRows(), cols: names.length, names, values };
    },
    toDanfo: () => {
      throw new Error("not needed in these tests");
    },
  };
}

/**
 * A dataset of 16 x 16 grey images where label "Left" brightens the left half and "Top" the top
 * half: 40 / 12 / 15 patients in train / validate / test, 2 images each. One validation image is
 * missing from the cache (left out and counted).
 */
export function brightHalves(
  seed: number,
  dir: string,
  names = ["Left", "Top"],
): { dataset: LabelledDataset; cache: ImageCache & { reads: number } } {
  const rng = new Rng(seed);
  const rows: { dicom_id: string; subject_id: string; split: string; labels: number[] }[] = [];
  const images: { id: string; split: string; image: CachedImage }[] = [];
  const plan: [string, number][] = [
    ["train", 40],
    ["validate", 12],
    ["test", 15],
  ];
  let p = 0;
  for (const [split, patients] of plan) {
    for (let q = 0; q < patients; q++, p++) {
      for (let m = 0; m < 2; m++) {
        const labels = [rng.bernoulli(0.4) ? 1 : 0, rng.bernoulli(0.3) ? 1 : 0];
        const data = new Uint8Array(256);
        for (let y = 0; y < 16; y++)
          for (let x = 0; x < 16; x++)
            data[y * 16 + x] = Math.min(
              255,
              40 + rng.int(80) + (labels[0] && x < 8 ? 110 : 0) + (labels[1] && y < 8 ? 110 : 0),
            );
        const id = `d${seed}-${p}-${m}`;
        rows.push({ dicom_id: id, subject_id: `s${p}`, split, labels });
        images.push({ id, split, image: { width: 16, height: 16, channels: 1, data } });
      }
    }
  }
  const missing = rows.find((r) => r.split === "validate")!.dicom_id;
  return {
    dataset: memoryDataset(rows, names),
    cache: memoryCache(
      images.filter((x) => x.id !== missing),
      path.join(dir, `bright-${seed}`),
    ),
  };
}
