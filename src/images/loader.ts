/**
 * The batch loader: an epoch of batches from the resize cache, shuffled per epoch with a seed,
 * transformed into tensors, with the next batches read ahead while the current one is used.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError, describeValue } from "../util/errors";
import { checkInt } from "../util/validate";
import { Rng } from "../util/random";
import type { Batch, Loader, LoaderOptions } from "./types";

/**
 * One epoch of batches. Iterate it with `for await`; each batch's tensors belong to the caller,
 * who disposes them (batches read ahead and not consumed, when the loop stops early, are disposed
 * here). The order depends on (seed, epoch) only, and batch b's transform gets its own random
 * stream from (seed, epoch, b), so the views do not depend on timing or on `prefetch`.
 *
 * Reads ahead `prefetch` batches: their file reads run on libuv's threads while the step runs,
 * and their transforms run on the main thread whenever the step awaits (e.g. `await loss.data()`).
 */
export function loader<T extends object>(opts: LoaderOptions<T>): Loader<T> {
  const { cache, batchSize, transform } = opts;
  const seed = opts.seed ?? 0,
    epoch = opts.epoch ?? 0,
    prefetch = opts.prefetch ?? 2;
  checkInt(batchSize, "batchSize", { min: 1 });
  checkInt(prefetch, "prefetch", { min: 0 });
  checkInt(epoch, "epoch", { min: 0 });
  if (typeof transform !== "function")
    throw new InputError({
      field: "transform",
      expected: "a function (images, rng) => tensors",
      found: describeValue(transform),
    });
  const given = opts.indices;
  if (given) {
    for (let j = 0; j < given.length; j++) {
      const v = given[j];
      if (!Number.isInteger(v) || v < 0 || v >= cache.size)
        throw new InputError({
          field: `indices[${j}]`,
          expected: `a cache index in 0..${cache.size - 1}`,
          found: describeValue(v),
        });
    }
  }
  const order = given ? Int32Array.from(given) : Int32Array.from({ length: cache.size }, (_, i) => i);
  if (opts.shuffle) {
    const perm = new Rng(seed).fork(`shuffle:${epoch}`).permutation(order.length);
    const copy = order.slice();
    perm.forEach((p, j) => (order[j] = copy[p]));
  }
  const n = order.length;
  const batches = opts.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  const images = Math.min(n, batches * batchSize);
  const make = async (b: number): Promise<Batch<T>> => {
    const indices = order.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
    const imgs = await cache.readBatch(indices);
    const out = transform(imgs, new Rng(seed).fork(`batch:${epoch}:${b}`));
    if (out instanceof tf.Tensor || typeof out !== "object" || out === null) {
      tf.dispose(out as tf.TensorContainer);
      throw new InputError({
        field: "transform",
        expected: "an object of named outputs, e.g. { x: tensor }",
        found: out instanceof tf.Tensor ? "a bare tensor" : describeValue(out),
      });
    }
    return { ...out, indices };
  };
  return {
    batches,
    images,
    dropped: n - images,
    async *[Symbol.asyncIterator]() {
      const ahead: Promise<Batch<T>>[] = [];
      let next = 0;
      const start = (): void => {
        const p = make(next++);
        p.catch(() => undefined); // rejections surface when the batch is awaited, not as unhandled
        ahead.push(p);
      };
      try {
        while (next < batches && ahead.length <= prefetch) start();
        while (ahead.length > 0) {
          const batch = await ahead.shift()!;
          if (next < batches) start();
          yield batch;
        }
      } finally {
        for (const p of ahead)
          p.then(
            (b) => tf.dispose(b as unknown as tf.TensorContainer),
            () => undefined,
          );
      }
    },
  };
}

/**
 * A subset of the training images: a random `percent` of the training *patients* (at least one),
 * with all their images. `subjects[j]` is the patient of image `indices[j]`; the result lists the
 * chosen images' indices in their input order. The same seed gives the same patients.
 */
export function patientSubset(opts: {
  indices: ArrayLike<number>;
  subjects: ArrayLike<string | number>;
  percent: number;
  seed: number;
}): Int32Array {
  const { indices, subjects, percent, seed } = opts;
  if (indices.length !== subjects.length)
    throw new InputError({
      field: "subjects",
      expected: `one patient per index (${indices.length})`,
      found: `${subjects.length} values`,
    });
  if (!(percent > 0 && percent <= 100))
    throw new InputError({ field: "percent", expected: "a number in (0, 100]", found: describeValue(percent) });
  // Patients sorted before shuffling: the choice depends on the set of patients, not on row order.
  const patients = [...new Set(Array.from(subjects, String))].sort();
  const keep = Math.max(1, Math.round((percent / 100) * patients.length));
  const chosen = new Set(new Rng(seed).fork("patients").shuffle(patients).slice(0, keep));
  const out: number[] = [];
  for (let j = 0; j < indices.length; j++) if (chosen.has(String(subjects[j]))) out.push(indices[j]);
  return Int32Array.from(out);
}
