/**
 * The image cache a run reads a dataset's images from, whoever asks (pretraining, the linear probe):
 * an open cache as given, or one built in a folder (reused when it was built from the same files with
 * the same settings), so that a notebook can pretrain and probe without building a cache by hand.
 */
import { createHash } from "crypto";
import * as os from "os";
import * as path from "path";
import type { LabelledDataset, SplitSelector } from "../cohort/types";
import { checkInt } from "../util/validate";
import { buildCache, datasetImages } from "./cache";
import type { ImageCache, ImageSource } from "./types";

export interface DatasetCacheOptions {
  /** An open image cache (used as it is) or the folder to build one in. */
  cache?: ImageCache | string;
  /** The folder used when `cache` is not given (default: one per set of images under the system's temporary folder). */
  defaultDir?: string;
  /** Shorter image side when the cache is built (default 256, the authors' Resize(256)). */
  shortSide?: number;
  quiet?: boolean;
}

/**
 * A folder of its own under the system's temporary folder for these images and settings, so that
 * caches of different datasets or splits neither replace each other nor race (a hash: no id in the name).
 */
function temporaryCacheDir(images: readonly ImageSource[], shortSide: number): string {
  const h = createHash("sha256").update(`${shortSide};`);
  for (const im of images) h.update(`${im.id}\0${im.path}\0${im.split}\n`);
  return path.join(os.tmpdir(), "ehr-msn", `image-cache-${h.digest("hex").slice(0, 16)}`);
}

/**
 * The cache of the images of `split` of `dataset`; `owned` is true when it was opened here (the
 * caller closes it when done), false for a cache the caller passed in.
 */
export async function datasetCache(
  dataset: LabelledDataset,
  split: SplitSelector,
  options: DatasetCacheOptions,
): Promise<{ cache: ImageCache; owned: boolean }> {
  if (typeof options.cache === "object") return { cache: options.cache, owned: false };
  const images = datasetImages(dataset, split);
  const shortSide = checkInt(options.shortSide ?? 256, "cacheShortSide", { min: 1 });
  const dir = options.cache ?? options.defaultDir ?? temporaryCacheDir(images, shortSide);
  const cache = await buildCache({ images, dir, shortSide, channels: 1, quiet: options.quiet });
  return { cache, owned: true };
}
