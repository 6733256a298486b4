/**
 * Pretraining data from the cohort and the image cache: the images of a split, their EHR feature
 * vectors, and the MSN views of each batch, as a BatchSource whose every value follows from
 * (seed, epoch, index).
 */
import { createHash } from "crypto";
import * as tf from "@tensorflow/tfjs";
import type { Cohort, SplitSelector } from "../cohort/types";
import type { NamedMatrix as Matrix } from "../util/matrix";
import type { CachedImage, ImageCache, MsnViewOptions } from "../images/types";
import { msnViews } from "../images/views";
import { InputError } from "../util/errors";
import { takeRows } from "../util/rows";
import { findInCache } from "../images/cache";
import { Rng } from "../util/random";
import type { BatchSource, PretrainBatch } from "./source";

/**
 * Shorter side of the image cache pretraining crops from: 512, the width of the authors' resized
 * images (method-reference §2). The smallest 224 px crop at the authors' scale 0.3
 * and aspect 3/4 of a 512 x 620 image is then 267 px wide, so no crop is enlarged; from a 256 px cache
 * most would be (up to 1.7x), blurring detail the authors' crops keep. Evaluation resizes such a cache
 * to its own Resize(256) as PIL does (images/resize.ts).
 */
export const PRETRAIN_CACHE_SHORT_SIDE = 512;

export interface CacheSourceOptions {
  cache: ImageCache;
  /** Cache indices of the images to train on. */
  indices: Int32Array;
  /** EHR rows aligned with `indices` (none: vanilla MSN). */
  ehr?: Matrix;
  batchSize: number;
  seed: number;
  /** The MSN view geometry (sizes, focal views, channels, normalisation). */
  views: MsnViewOptions;
  /** Description of the data for checkpoints (no ids). */
  signature: string;
}

/** A BatchSource over cached images, plus what it leaves out. */
export interface CacheSource extends BatchSource {
  /** Images per epoch left out: a last batch of 1 image cannot be batch-normalised (0 or 1). */
  readonly leftOutPerEpoch: number;
}

/**
 * MSN batches of cached images: each epoch a permutation of the images from (seed, epoch), each
 * batch's views from (seed, epoch, index). A last batch of one image is left out of that epoch (a
 * different image each epoch), since the projection heads' batch norm needs two; this is counted
 * in `leftOutPerEpoch`. The next batch's pixels are read while the current one trains.
 */
export function cacheSource(o: CacheSourceOptions): CacheSource {
  const n = o.indices.length;
  if (o.ehr && o.ehr.values.length !== n * o.ehr.names.length) {
    throw new InputError({
      field: "ehr",
      expected: `${n} rows of ${o.ehr.names.length} features`,
      found: `${o.ehr.values.length} values`,
    });
  }
  const leftOutPerEpoch = n % o.batchSize === 1 ? 1 : 0;
  const batchesPerEpoch = Math.floor(n / o.batchSize) + (n % o.batchSize >= 2 ? 1 : 0);
  if (batchesPerEpoch < 1)
    throw new InputError({
      field: "batchSize",
      expected: `at most ${n} (the images to train on)`,
      found: String(o.batchSize),
    });
  let order: { epoch: number; perm: Int32Array } | undefined;
  const members = (epoch: number, index: number) => {
    if (order?.epoch !== epoch) order = { epoch, perm: new Rng(o.seed).fork(`order:${epoch}`).permutation(n) };
    return order.perm.subarray(index * o.batchSize, Math.min((index + 1) * o.batchSize, n));
  };
  let ahead: { key: string; images: Promise<CachedImage[]> } | undefined;
  const read = (epoch: number, index: number) =>
    o.cache.readBatch(Array.from(members(epoch, index), (k) => o.indices[k]));
  return {
    batchesPerEpoch,
    leftOutPerEpoch,
    ehrFeatures: o.ehr?.names ?? [],
    signature: o.signature,
    async batch(epoch: number, index: number): Promise<PretrainBatch> {
      const key = `${epoch}:${index}`;
      const images = await (ahead?.key === key ? ahead.images : read(epoch, index));
      const next = index + 1 < batchesPerEpoch ? [epoch, index + 1] : [epoch + 1, 0];
      ahead = { key: `${next[0]}:${next[1]}`, images: read(next[0], next[1]) };
      ahead.images.catch(() => undefined); // a failed read ahead is reported when that batch is asked for
      const views = msnViews(images, new Rng(o.seed).fork(`views:${epoch}:${index}`), o.views);
      if (!o.ehr) return views;
      const k = o.ehr.names.length;
      const rows = members(epoch, index);
      return { ...views, ehr: tf.tensor2d(takeRows(o.ehr.values, k, rows), [rows.length, k]) };
    },
  };
}

export interface CohortSourceOptions {
  /** Feature-set name, feature names, or [] (vanilla MSN). */
  features: string | readonly string[];
  /** The cohort's split to train on (default "pretrain": its pretraining split). */
  split?: SplitSelector;
  batchSize: number;
  seed: number;
  views: MsnViewOptions;
}

/**
 * The cohort's images of a split that are in the cache, with their EHR features, as a CacheSource.
 * Rows whose image is not in the cache (left out when it was built, see its report) are counted in
 * `missing`, never silently dropped.
 */
export function cohortSource(
  cohort: Cohort,
  cache: ImageCache,
  o: CohortSourceOptions,
): CacheSource & { missing: number } {
  const split = o.split ?? "pretrain";
  const table = cohort.split(split);
  const ids = table.array("dicom_id") as ArrayLike<string>;
  const vanilla = Array.isArray(o.features) && o.features.length === 0;
  const features = vanilla ? undefined : cohort.features(o.features, split);
  const { positions: keep, indices } = findInCache(cache, ids);
  if (indices.length === 0) {
    throw new InputError({
      field: "cache",
      expected: `the images of the cohort's "${split}" split`,
      found: `none of its ${ids.length} images in the cache at ${cache.dir}`,
      hint: "Build the cache from this cohort's images.",
    });
  }
  const ehr: Matrix | undefined = features && {
    rows: keep.length,
    cols: features.cols,
    names: features.names,
    values: takeRows(features.values, features.names.length, keep),
  };
  const digest = createHash("sha256")
    .update(Array.from(keep, (r) => ids[r]).join("\n"))
    .digest("hex")
    .slice(0, 12);
  const signature = `cohort split "${split}": ${indices.length} images (ids sha256 ${digest}), features [${ehr?.names.join(", ") ?? ""}], cache ${cache.shortSide} px x ${cache.channels} ch`;
  const source = cacheSource({ cache, indices, ehr, batchSize: o.batchSize, seed: o.seed, views: o.views, signature });
  return Object.assign(source, { missing: ids.length - indices.length });
}
