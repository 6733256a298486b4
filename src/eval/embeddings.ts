/**
 * Class-token embeddings of the frozen encoder for a set of cached images, computed in batches and
 * kept on disk: a file per (encoder weights, transform, image set), so a probe, a t-SNE and an
 * external validation of the same encoder embed each image once.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { loader } from "../images/loader";
import type { CachedImage, ImageCache } from "../images/types";
import type { Encoder } from "../model/encoder";
import { writeFileAtomic } from "../util/atomicWrite";
import { InputError } from "../util/errors";
import { progress } from "../util/progress";
import type { Rng } from "../util/random";
import type { Points } from "../projection/points";
import { ensure as ensureBackend } from "../backend/init";
import { readVariablesAhead } from "../backend/webgpu";

/** A batch transform from cached images to the encoder's input, [B, S, S, C] float32; random ones draw from `rng`. */
export type ViewFn = (images: CachedImage[], rng: Rng) => tf.Tensor4D;

export interface EmbedOptions {
  encoder: Encoder;
  cache: ImageCache;
  /** Cache indices of the images to embed, in the order of the rows wanted. */
  indices: ArrayLike<number>;
  /** Turns cached images into encoder input (the evaluation transform). */
  view: ViewFn;
  /** Identifies `view` and its settings in the cache key (e.g. JSON of the view options). */
  viewKey: string;
  /** Images per forward pass (default 64). */
  batchSize?: number;
  /** Folder of the embedding files (default `<cache.dir>/embeddings`); `false`: do not keep them. */
  dir?: string | false;
  /** Seed and epoch of a random `view` (the loader gives each batch its own stream from them). */
  seed?: number;
  epoch?: number;
  /** Progress label (default "embed"). */
  label?: string;
  quiet?: boolean;
}

/** Embeddings with where they came from. */
export interface EmbeddingResult extends Points {
  /** The file they were read from or written to (undefined with `dir: false`). */
  file?: string;
  /** True when read from an existing file instead of computed. */
  reused: boolean;
}

/** Key of an embedding file: the encoder's weights, the transform and the exact images. */
export function embeddingKey(o: Pick<EmbedOptions, "encoder" | "cache" | "indices" | "viewKey">): string {
  const ids = createHash("sha256");
  for (let k = 0; k < o.indices.length; k++) ids.update(`${o.cache.id(o.indices[k])}\n`);
  const parts = {
    encoder: o.encoder.fingerprint(),
    view: o.viewKey,
    cache: {
      dir: path.resolve(o.cache.dir),
      size: o.cache.size,
      shortSide: o.cache.shortSide,
      channels: o.cache.channels,
    },
    images: ids.digest("hex"),
  };
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 24);
}

/**
 * Embeds `indices` of `cache` with `encoder` (no gradient), `batchSize` images per pass, reading the
 * next batches from disk while the current one runs. Reuses the file of an earlier identical call.
 */
export async function embedImages(opts: EmbedOptions): Promise<EmbeddingResult> {
  await ensureBackend();
  const { encoder, cache, indices, view } = opts;
  const n = indices.length;
  const dim = encoder.dim;
  // The loader checks the indices and the batch size, and reads the next batches while one runs.
  const batches = loader({
    cache,
    indices,
    batchSize: opts.batchSize ?? 64,
    seed: opts.seed,
    epoch: opts.epoch,
    transform: (images, rng) => ({ x: view(images, rng) }),
  });
  const dir = opts.dir === false ? undefined : (opts.dir ?? path.join(cache.dir, "embeddings"));
  // The key hashes the encoder's weights, read synchronously: webgpu can only have read them ahead.
  if (dir) await readVariablesAhead();
  const file = dir ? path.join(dir, `${embeddingKey(opts)}.f32`) : undefined;
  if (file && fs.existsSync(file) && fs.statSync(file).size === n * dim * 4) {
    const buf = fs.readFileSync(file);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return { data, n, dims: dim, file, reused: true };
  }
  const data = new Float32Array(n * dim);
  const bar = progress(opts.label ?? "embed", n, { unit: "img", quiet: opts.quiet });
  let done = 0;
  for await (const { x } of batches) {
    const out = tf.tidy(() => {
      if (x.shape[1] !== encoder.imageSize || x.shape[2] !== encoder.imageSize || x.shape[3] !== encoder.channels) {
        throw new InputError({
          field: "view",
          expected: `images of [B, ${encoder.imageSize}, ${encoder.imageSize}, ${encoder.channels}] (the encoder's input)`,
          found: `[${x.shape}]`,
        });
      }
      return encoder.embed(x);
    });
    x.dispose();
    data.set((await out.data()) as Float32Array, done * dim);
    done += out.shape[0];
    out.dispose();
    bar.tick(out.shape[0]);
  }
  bar.finish();
  if (file && dir) {
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return { data, n, dims: dim, file, reused: false };
}
