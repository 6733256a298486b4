/**
 * Types of the image layer: the resize cache, the view transforms and the batch loader.
 * Other layers (model, train, eval) code against these names.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Rng } from "../util/random";

/** One decoded image: row-major uint8 pixels, `channels` values per pixel (interleaved). */
export interface CachedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** One image to put in the cache (a cohort row mapped as `{ id: dicom_id, path, split }`). */
export interface ImageSource {
  id: string;
  path: string;
  split: string;
}

/** What to do with a missing, truncated or undecodable image. */
export type OnBadImage = "error" | "skip";

export interface BuildCacheOptions {
  images: ImageSource[];
  /** Folder of the cache: one `<split>.u8` file per split and `index.json`. */
  dir: string;
  /** Length of the shorter side after resizing, aspect kept (default 256, as the authors' Resize(256)). */
  shortSide?: number;
  /** 1 (grey, the default) or 3 (RGB kept as decoded). */
  channels?: 1 | 3;
  /** Default "error": the first bad image raises an InputError naming its id and path. */
  onBadImage?: OnBadImage;
  /** Images decoded at the same time (default: twice the number of cores, at least 4). */
  concurrency?: number;
  /** Draw no progress. */
  quiet?: boolean;
}

/** Why an image is not in the cache. */
export type BadImageReason = "missing" | "undecodable";

export interface SkippedImage {
  id: string;
  path: string;
  split: string;
  reason: BadImageReason;
  /** The decoder's own words. */
  message: string;
}

/** What a cache build did (kept in the index, so a reused cache reports the same). */
export interface CacheReport {
  /** Images asked for. */
  requested: number;
  /** Images stored (requested minus skipped). */
  stored: number;
  skipped: SkippedImage[];
  skippedByReason: Record<BadImageReason, number>;
  /** True when an existing cache with the same content key was opened instead of building. */
  reused: boolean;
  /** Seconds the build took (the original build when reused). */
  buildSeconds: number;
}

/**
 * Images decoded once, resized and stored as uint8; read back by positioned reads so the
 * whole cache never has to be in memory. Indices run over the stored images in input order.
 */
export interface ImageCache {
  readonly dir: string;
  /** Number of stored images. */
  readonly size: number;
  readonly shortSide: number;
  readonly channels: 1 | 3;
  /** Split names, in the order first seen in the input. */
  readonly splits: readonly string[];
  readonly report: CacheReport;
  /** Identifier (dicom_id) of image `i`. */
  id(i: number): string;
  /** Split of image `i`. */
  split(i: number): string;
  /** Index of the image with this id, or -1 when it is not stored (see `report.skipped`). */
  indexOf(id: string): number;
  /** Indices of the images of one split, ascending (empty for an unknown split). */
  indicesOf(split: string): Int32Array;
  /** Width and height of image `i` without reading its pixels. */
  shape(i: number): { width: number; height: number };
  get(i: number): CachedImage;
  getBatch(indices: ArrayLike<number>): CachedImage[];
  /** `getBatch` with non-blocking reads (the loader reads the next batches while a step runs). */
  readBatch(indices: ArrayLike<number>): Promise<CachedImage[]>;
  /** Closes the split files; later reads throw. */
  close(): void;
}

/** Per-channel mean and standard deviation of pixels scaled to [0, 1]. */
export interface Normalization {
  mean: readonly number[];
  std: readonly number[];
}

/**
 * `"imagenet"`: the ImageNet statistics (pretraining, and evaluation in the paper's text);
 * `"authors-eval"`: the statistics the authors' evaluation code uses (method-reference §14, §19);
 * `false`: pixels scaled to [0, 1] only.
 */
export type NormalizationChoice = "imagenet" | "authors-eval" | Normalization | false;

export interface ViewOptions {
  /** 3: grey replicated to RGB, as the authors (default); 1: grey kept as one channel. */
  channels?: 1 | 3;
  /** Default "imagenet". */
  normalize?: NormalizationChoice;
}

export interface MsnViewOptions extends ViewOptions {
  /** Side of the target and anchor views (default 224). */
  randomSize?: number;
  /** Side of the focal views (default 96). */
  focalSize?: number;
  /** Number of focal views (default 10). */
  focalViews?: number;
  /** Area fraction range of the target and anchor crops (default [0.3, 1]). */
  randomScale?: readonly [number, number];
  /** Area fraction range of the focal crops (default [0.05, 0.3]). */
  focalScale?: readonly [number, number];
  /** Aspect ratio (width / height) range of every crop (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
  /** Probability of a horizontal flip, per view (default 0.5). */
  hflip?: number;
  /**
   * Resize each crop as PIL does (antialiased when it shrinks, as the authors' torchvision transforms),
   * in JavaScript, instead of one bilinear `cropAndResize` for the batch (default false: faster).
   */
  antialias?: boolean;
}

/**
 * The 12 MSN views of a batch of B images, NHWC float32. The caller disposes them (`tf.dispose(views)`;
 * a type alias rather than an interface so that it is a `tf.TensorContainer`).
 */
export type MsnViews = {
  /** View 0 of each image: [B, 224, 224, C]. */
  target: tf.Tensor4D;
  /** View 1 of each image: [B, 224, 224, C]. */
  anchor: tf.Tensor4D;
  /** Views 2..11, view-major (all B images of focal view 0, then of focal view 1, ...): [10B, 96, 96, C]. */
  focal: tf.Tensor4D;
};

export interface EvalViewOptions extends ViewOptions {
  /** Shorter side after the resize (default 256). */
  resize?: number;
  /** Side of the centre crop (default 224). */
  crop?: number;
}

export interface ProbeTrainOptions extends EvalViewOptions {
  /** Probability of a horizontal flip (default 0.5). */
  hflip?: number;
  /** Rotation drawn uniformly in [-degrees, degrees] (default 45). */
  degrees?: number;
  /** Largest translation as a fraction of width and height (default [0.15, 0.15]). */
  translate?: readonly [number, number];
  /** Scale range (default [0.85, 1.15]). */
  scale?: readonly [number, number];
}

/** A batch transform: images in, tensors (or anything disposable) out; randomness only from `rng`. */
export type Transform<T> = (images: CachedImage[], rng: Rng) => T;

export interface LoaderOptions<T> {
  cache: ImageCache;
  /** Cache indices to draw from (default: all). */
  indices?: ArrayLike<number>;
  batchSize: number;
  /** Shuffle the indices, differently each epoch (default false). */
  shuffle?: boolean;
  /** Seed of the shuffle and of the transforms' randomness (default 0). */
  seed?: number;
  /** Epoch number: with the seed, it fixes the order and the augmentations (default 0). */
  epoch?: number;
  /** Leave out a last batch shorter than batchSize (default false); what is left out is counted. */
  dropLast?: boolean;
  transform: Transform<T>;
  /** Batches read and transformed ahead of the one being consumed (default 2). */
  prefetch?: number;
}

/** One batch: the cache indices of its images and what the transform made of them. */
export type Batch<T> = { indices: Int32Array } & T;

/** An epoch of batches; iterate it once with `for await`. */
export interface Loader<T> extends AsyncIterable<Batch<T>> {
  /** Batches this epoch yields. */
  readonly batches: number;
  /** Images this epoch yields. */
  readonly images: number;
  /** Images left out by `dropLast` (0 otherwise). */
  readonly dropped: number;
}
