/**
 * The resize cache: every image decoded once, resized (shorter side 256 by default) and stored as
 * uint8 in one file per split, with an index (JSON). Reads are positioned reads, so a MIMIC-size
 * cache (~30 GB at 256 px) is never loaded whole; the OS page cache keeps what is hot.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commitAtomic, removeOrphanedTemporaries, writeError, writeFileAtomic } from "../util/atomicWrite";
import { InputError, describeValue } from "../util/errors";
import { checkInt, checkOneOf } from "../util/validate";
import { progress } from "../util/progress";
import { BadImageError, decodeResized } from "./decode";
import type { LabelledDataset, SplitSelector } from "../cohort/types";
import type {
  BadImageReason,
  BuildCacheOptions,
  CachedImage,
  CacheReport,
  ImageCache,
  ImageSource,
  SkippedImage,
} from "./types";

/** Bumped when the file layout changes, so that old caches are rebuilt rather than misread. */
const FORMAT = 1;
const INDEX = "index.json";

/** What index.json holds. Arrays run over the stored images, in input order. */
interface IndexFile {
  format: number;
  /** Content key: inputs (paths, sizes, mtimes) and settings. */
  key: string;
  shortSide: number;
  channels: 1 | 3;
  splits: string[];
  /** File name of each split's pixels. */
  files: string[];
  ids: string[];
  split: number[];
  offset: number[];
  width: number[];
  height: number[];
  requested: number;
  skipped: SkippedImage[];
  buildSeconds: number;
}

/**
 * Builds the cache of `images` in `dir`, or opens the one already there when it was built from the
 * same files (same paths, sizes and modification times) with the same settings.
 */
export async function buildCache(opts: BuildCacheOptions): Promise<ImageCache> {
  const { images, dir } = opts;
  const shortSide = opts.shortSide ?? 256;
  const channels = opts.channels ?? 1;
  const onBadImage = opts.onBadImage ?? "error";
  // sharp decodes on libuv's 4 threads: a few images in flight per core keep the cores busy through file reads.
  const concurrency = opts.concurrency ?? Math.max(4, 2 * os.availableParallelism());
  checkOptions(images, shortSide, channels, onBadImage, concurrency);
  const key = await contentKey(images, shortSide, channels);
  const existing = readIndex(dir);
  if (existing && existing.key === key && splitFilesIntact(dir, existing)) {
    if (onBadImage === "error" && existing.skipped.length > 0) throw badImageInput(existing.skipped, images, dir);
    return new FileCache(dir, existing, true);
  }
  const index = await build(images, dir, key, shortSide, channels, onBadImage, concurrency, opts.quiet);
  return new FileCache(dir, index, false);
}

/** Opens a cache built earlier, without checking its inputs. */
/** The images of a dataset's split, as `buildCache` takes them: each row's dicom_id, path and split. */
export function datasetImages(dataset: LabelledDataset, split: SplitSelector = "all"): ImageSource[] {
  const t = dataset.split(split);
  const ids = t.array("dicom_id") as ArrayLike<string>;
  const paths = t.array("path") as ArrayLike<string>;
  const splits = t.array("split") as ArrayLike<string>;
  return Array.from({ length: ids.length }, (_, i) => ({ id: ids[i], path: paths[i], split: splits[i] }));
}

/**
 * The entries of `ids` whose image is in the cache: their positions in `ids` and their cache
 * indices, in order (the others are the caller's to count).
 */
export function findInCache(
  cache: ImageCache,
  ids: ArrayLike<unknown>,
): { positions: Int32Array; indices: Int32Array } {
  const positions: number[] = [];
  const indices: number[] = [];
  for (let r = 0; r < ids.length; r++) {
    const i = cache.indexOf(String(ids[r]));
    if (i >= 0) {
      positions.push(r);
      indices.push(i);
    }
  }
  return { positions: Int32Array.from(positions), indices: Int32Array.from(indices) };
}

export function openCache(dir: string): ImageCache {
  const index = readIndex(dir);
  if (!index)
    throw new InputError({
      file: path.join(dir, INDEX),
      expected: `an image cache index (format ${FORMAT})`,
      found: fs.existsSync(path.join(dir, INDEX)) ? "an index of another format" : "no index",
      hint: "Build it with images.buildCache.",
    });
  if (!splitFilesIntact(dir, index))
    throw new InputError({
      file: dir,
      expected: "the split files listed in index.json, at their recorded sizes",
      found: "missing or truncated files",
      hint: "Rebuild the cache.",
    });
  return new FileCache(dir, index, true);
}

function checkOptions(
  images: ImageSource[],
  shortSide: number,
  channels: number,
  onBadImage: string,
  concurrency: number,
): void {
  if (!Array.isArray(images))
    throw new InputError({
      field: "images",
      expected: "an array of { id, path, split }",
      found: describeValue(images),
    });
  checkInt(shortSide, "shortSide", { min: 1, max: 4096 });
  checkOneOf(channels, "channels", [1, 3]);
  if (onBadImage !== "error" && onBadImage !== "skip")
    throw new InputError({ field: "onBadImage", expected: '"error" or "skip"', found: describeValue(onBadImage) });
  checkInt(concurrency, "concurrency", { min: 1 });
  const seen = new Set<string>();
  images.forEach((im, i) => {
    for (const f of ["id", "path", "split"] as const) {
      if (typeof im?.[f] !== "string" || im[f] === "")
        throw new InputError({
          field: `images[${i}].${f}`,
          expected: "a non-empty string",
          found: describeValue(im?.[f]),
        });
    }
    if (seen.has(im.id))
      throw new InputError({
        field: `images[${i}].id`,
        expected: "unique image ids",
        found: `${JSON.stringify(im.id)} a second time`,
      });
    seen.add(im.id);
  });
}

/** sha256 of the settings and of every input's id, split, path, size and mtime (a missing file counts as such). */
async function contentKey(images: ImageSource[], shortSide: number, channels: number): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ format: FORMAT, shortSide, channels, resize: "sharp-linear" }));
  const stats = await mapLimited(images, 64, async (im) => {
    try {
      const s = await fs.promises.stat(im.path);
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return "missing";
    }
  });
  images.forEach((im, i) => hash.update(`\n${im.id}\t${im.split}\t${im.path}\t${stats[i]}`));
  return hash.digest("hex");
}

function readIndex(dir: string): IndexFile | undefined {
  try {
    const index = JSON.parse(fs.readFileSync(path.join(dir, INDEX), "utf8")) as IndexFile;
    return index.format === FORMAT ? index : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes each split file must hold according to the index. */
function splitBytes(index: IndexFile): number[] {
  const bytes = index.splits.map(() => 0);
  for (let i = 0; i < index.ids.length; i++) {
    bytes[index.split[i]] = Math.max(
      bytes[index.split[i]],
      index.offset[i] + index.width[i] * index.height[i] * index.channels,
    );
  }
  return bytes;
}

function splitFilesIntact(dir: string, index: IndexFile): boolean {
  const bytes = splitBytes(index);
  return index.files.every((f, k) => {
    try {
      return fs.statSync(path.join(dir, f)).size === bytes[k];
    } catch {
      return false;
    }
  });
}

/** A file name for a split's pixels: the split name when it is safe, else a hash of it. */
function splitFile(split: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(split)
    ? `${split}.u8`
    : `split-${createHash("sha256").update(split).digest("hex").slice(0, 16)}.u8`;
}

/** The file in a cache folder that names its bad images (id, path): messages name an image only by its place. */
export const BAD_IMAGES = "bad-images.csv";

/**
 * The InputError for the first of `bad`, which names the image by its place in its split ("image 1,234
 * of the validate split"), never by an id or a path (README, privacy); the ids and paths of `bad` go to
 * BAD_IMAGES in the cache folder, which the user chose.
 */
function badImageInput(bad: readonly SkippedImage[], images: readonly ImageSource[], dir: string): InputError {
  const list = writeBadImageList(dir, bad);
  const s = bad[0];
  const place = images.filter((im) => im.split === s.split).findIndex((im) => im.id === s.id) + 1;
  // The decoder's words may quote the path (fs errors do).
  const words = s.message.split(s.path).join("the file");
  return new InputError({
    field: `image ${place.toLocaleString("en-US")} of the ${s.split} split`,
    expected: "a readable JPEG or PNG image",
    found: s.reason === "missing" ? "no such file" : `an image that cannot be decoded (${words})`,
    hint:
      `Its id and path are in ${list}. Fix or remove it, or pass onBadImage: "skip" (--skip-bad-images) ` +
      "to leave it out (it is then counted in the report).",
  });
}

/** Writes the split, id, path and reason of each of `bad` to BAD_IMAGES in `dir`; returns its path. */
function writeBadImageList(dir: string, bad: readonly SkippedImage[]): string {
  const list = path.join(dir, BAD_IMAGES);
  const csv = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const rows = bad.map((b) => [b.split, b.id, b.path, b.reason].map(csv).join(","));
  writeFileAtomic(list, ["split,id,path,reason", ...rows].join("\n") + "\n");
  return list;
}

/**
 * Decodes the images `concurrency` at a time (sharp works on libuv's thread pool, so this uses
 * the cores) and appends them in input order to temporary split files, renamed at the end.
 */
async function build(
  images: ImageSource[],
  dir: string,
  key: string,
  shortSide: number,
  channels: 1 | 3,
  onBadImage: "error" | "skip",
  concurrency: number,
  quiet?: boolean,
): Promise<IndexFile> {
  const start = Date.now();
  await fs.promises.mkdir(dir, { recursive: true });
  removeOrphanedTemporaries(dir);
  const splits: string[] = [];
  for (const im of images) if (!splits.includes(im.split)) splits.push(im.split);
  if (splits.length > 255)
    throw new InputError({
      field: "images[].split",
      expected: "at most 255 distinct splits",
      found: `${splits.length}`,
    });
  const files = uniqueNames(splits.map(splitFile));
  const tmp = files.map((f) => path.join(dir, `${f}.tmp-${process.pid}`));
  const fds = tmp.map((f) => fs.openSync(f, "w"));
  const index: IndexFile = {
    format: FORMAT,
    key,
    shortSide,
    channels,
    splits,
    files,
    ids: [],
    split: [],
    offset: [],
    width: [],
    height: [],
    requested: images.length,
    skipped: [],
    buildSeconds: 0,
  };
  const written = splits.map(() => 0);
  const bar = progress("image cache", images.length, { unit: "img", quiet });
  try {
    // Chunks bound the memory held by decoded images; each chunk is appended in input order.
    const chunk = Math.max(64, concurrency * 16);
    for (let c0 = 0; c0 < images.length; c0 += chunk) {
      const part = images.slice(c0, c0 + chunk);
      const decoded = await mapLimited(part, concurrency, async (im) => {
        try {
          return await decodeResized(im, shortSide, channels);
        } catch (e) {
          if (!(e instanceof BadImageError)) throw e;
          const skipped: SkippedImage = {
            id: im.id,
            path: im.path,
            split: im.split,
            reason: e.reason,
            message: e.message,
          };
          return skipped;
        } finally {
          bar.tick();
        }
      });
      // The first bad image in input order, whatever finished first.
      const bad = decoded.filter((d): d is SkippedImage => "reason" in d);
      if (bad.length > 0 && onBadImage === "error") throw badImageInput(bad, images, dir);
      const buffers: Buffer[][] = splits.map(() => []);
      decoded.forEach((d, j) => {
        const im = part[j];
        if ("reason" in d) {
          index.skipped.push(d);
          return;
        }
        const k = splits.indexOf(im.split);
        index.ids.push(im.id);
        index.split.push(k);
        index.offset.push(written[k]);
        index.width.push(d.width);
        index.height.push(d.height);
        written[k] += d.data.length;
        buffers[k].push(Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength));
      });
      buffers.forEach((bs, k) => {
        if (bs.length > 0) fs.writeSync(fds[k], Buffer.concat(bs));
      });
    }
    fds.forEach((fd) => fs.closeSync(fd));
    const old = readIndex(dir);
    tmp.forEach((t, k) => commitAtomic(t, path.join(dir, files[k])));
    for (const f of old?.files ?? []) if (!files.includes(f)) fs.rmSync(path.join(dir, f), { force: true });
    index.buildSeconds = (Date.now() - start) / 1000;
    writeFileAtomic(path.join(dir, INDEX), JSON.stringify(index));
    if (index.skipped.length > 0) writeBadImageList(dir, index.skipped);
    bar.finish({ skipped: index.skipped.length });
    return index;
  } catch (e) {
    for (const fd of fds) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    for (const t of tmp) fs.rmSync(t, { force: true });
    throw writeError(dir, e);
  }
}

function uniqueNames(names: string[]): string[] {
  return names.map((n, i) => (names.indexOf(n) === i ? n : `${n.slice(0, -3)}-${i}.u8`));
}

/** `f` over `items` with at most `limit` calls in flight; results in input order; the first error rejects. */
async function mapLimited<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

class FileCache implements ImageCache {
  readonly size: number;
  readonly shortSide: number;
  readonly channels: 1 | 3;
  readonly splits: readonly string[];
  readonly report: CacheReport;
  private readonly fds: (number | undefined)[];
  private readonly offsets: Float64Array;
  private readonly widths: Uint32Array;
  private readonly heights: Uint32Array;
  private readonly splitOf: Uint8Array;
  private byId: Map<string, number> | undefined;
  private bySplit: Map<string, Int32Array> | undefined;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly index: IndexFile,
    reused: boolean,
  ) {
    this.size = index.ids.length;
    this.shortSide = index.shortSide;
    this.channels = index.channels;
    this.splits = index.splits;
    this.offsets = Float64Array.from(index.offset);
    this.widths = Uint32Array.from(index.width);
    this.heights = Uint32Array.from(index.height);
    this.splitOf = Uint8Array.from(index.split);
    this.fds = index.files.map(() => undefined);
    const skippedByReason: Record<BadImageReason, number> = { missing: 0, undecodable: 0 };
    for (const s of index.skipped) skippedByReason[s.reason]++;
    this.report = {
      requested: index.requested,
      stored: this.size,
      skipped: index.skipped,
      skippedByReason,
      reused,
      buildSeconds: index.buildSeconds,
    };
  }

  id(i: number): string {
    this.check(i);
    return this.index.ids[i];
  }

  split(i: number): string {
    this.check(i);
    return this.splits[this.splitOf[i]];
  }

  indexOf(id: string): number {
    if (!this.byId) this.byId = new Map(this.index.ids.map((d, i) => [d, i]));
    return this.byId.get(id) ?? -1;
  }

  indicesOf(split: string): Int32Array {
    if (!this.bySplit) {
      const lists = this.splits.map(() => [] as number[]);
      for (let i = 0; i < this.size; i++) lists[this.splitOf[i]].push(i);
      this.bySplit = new Map(this.splits.map((s, k) => [s, Int32Array.from(lists[k])]));
    }
    return this.bySplit.get(split) ?? new Int32Array(0);
  }

  shape(i: number): { width: number; height: number } {
    this.check(i);
    return { width: this.widths[i], height: this.heights[i] };
  }

  get(i: number): CachedImage {
    const { fd, img, position } = this.locate(i);
    const n = fs.readSync(fd, img.data, 0, img.data.length, position);
    if (n !== img.data.length) throw this.truncated(i);
    return img;
  }

  getBatch(indices: ArrayLike<number>): CachedImage[] {
    return Array.from(indices, (i) => this.get(i));
  }

  readBatch(indices: ArrayLike<number>): Promise<CachedImage[]> {
    return Promise.all(
      Array.from(indices, (i) => {
        const { fd, img, position } = this.locate(i);
        return new Promise<CachedImage>((resolve, reject) => {
          fs.read(fd, img.data, 0, img.data.length, position, (err, n) => {
            if (err) reject(err);
            else if (n !== img.data.length) reject(this.truncated(i));
            else resolve(img);
          });
        });
      }),
    );
  }

  close(): void {
    for (const fd of this.fds) if (fd !== undefined) fs.closeSync(fd);
    this.fds.fill(undefined);
    this.closed = true;
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size)
      throw new RangeError(`image index ${i} is outside the cache (0..${this.size - 1})`);
  }

  /** The split file's descriptor (opened on first use), an empty image of the right size and its file position. */
  private locate(i: number): { fd: number; img: CachedImage; position: number } {
    if (this.closed) throw new Error(`the image cache in ${this.dir} is closed`);
    this.check(i);
    const k = this.splitOf[i];
    let fd = this.fds[k];
    if (fd === undefined) {
      fd = fs.openSync(path.join(this.dir, this.index.files[k]), "r");
      this.fds[k] = fd;
    }
    const width = this.widths[i],
      height = this.heights[i];
    return {
      fd,
      img: { width, height, channels: this.channels, data: new Uint8Array(width * height * this.channels) },
      position: this.offsets[i],
    };
  }

  private truncated(i: number): InputError {
    return new InputError({
      file: path.join(this.dir, this.index.files[this.splitOf[i]]),
      row: this.index.ids[i],
      expected: "the image's bytes",
      found: "a truncated cache file",
      hint: "Rebuild the cache.",
    });
  }
}
