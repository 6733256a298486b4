/**
 * MAE's random masking (facebookresearch/mae `models_mae.py` `random_masking`): per image, the patches
 * in a random order (the argsort of U(0, 1) noise), the first int(L·(1 − ratio)) kept; the class token
 * always passes the encoder. Kept as indices for the encoder, the order that puts the decoder's tokens
 * back in place, and a 0/1 mask of the patches the loss scores.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";
import { Rng } from "../util/random";
import { checkInt, checkNumber } from "../util/validate";

/** The masks of `rows` images of `patches` patches each. */
export interface MaeMask {
  rows: number;
  patches: number;
  /** Patches kept per image (the encoder sees these and the class token). */
  kept: number;
  /** rows × (1 + kept) token indices for the encoder: 0 (class token), then patch j as token j + 1, in shuffle order. */
  keep: Int32Array;
  /**
   * rows × (1 + patches): where token t of the image sits in the decoder's input [class, kept..., mask tokens...]
   * (MAE's ids_restore, shifted by the class token).
   */
  restore: Int32Array;
  /** rows × patches: 1 for a masked patch (scored by the loss), 0 for a kept one. */
  masked: Float32Array;
}

/** The tensors of a mask: `keep` [B, 1 + K] and `restore` [B, 1 + L] int32, `masked` [B, L] float32. */
export interface MaeMaskTensors {
  keep: tf.Tensor2D;
  restore: tf.Tensor2D;
  masked: tf.Tensor2D;
}

/** Patches MAE keeps of `patches` at `ratio`: int(L·(1 − ratio)), Python's float arithmetic. */
export function maeKeptPatches(patches: number, ratio: number): number {
  checkNumber(ratio, "maeMaskRatio", { min: 0, max: 1, maxExclusive: true });
  const kept = Math.trunc(patches * (1 - ratio));
  if (kept < 1)
    throw new InputError({
      field: "maeMaskRatio",
      expected: `a ratio that keeps at least one of ${patches} patches`,
      found: String(ratio),
    });
  return kept;
}

/** A random mask per image, drawn from `rng` (noise U(0, 1) per patch, smallest kept; ties by index). */
export function maeRandomMask(rows: number, patches: number, ratio: number, rng: Rng): MaeMask {
  checkInt(rows, "rows", { min: 1 });
  const kept = maeKeptPatches(patches, ratio);
  const order = new Int32Array(rows * patches);
  const noise = new Float64Array(patches);
  const idx = Array.from({ length: patches }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < patches; i++) noise[i] = rng.uniform();
    idx.sort((a, b) => noise[a] - noise[b] || a - b);
    order.set(idx, r * patches);
  }
  return maeMaskFromOrder(order, rows, patches, kept);
}

/** The mask of a given shuffle order (MAE's ids_shuffle, rows × patches): its first `kept` patches are kept. */
export function maeMaskFromOrder(order: Int32Array, rows: number, patches: number, kept: number): MaeMask {
  if (order.length !== rows * patches)
    throw new InputError({
      field: "order",
      expected: `${rows} × ${patches} patch indices`,
      found: `${order.length}`,
    });
  const keep = new Int32Array(rows * (1 + kept));
  const restore = new Int32Array(rows * (1 + patches));
  const masked = new Float32Array(rows * patches);
  for (let r = 0; r < rows; r++) {
    keep[r * (1 + kept)] = 0;
    for (let rank = 0; rank < patches; rank++) {
      const j = order[r * patches + rank];
      if (!(j >= 0 && j < patches))
        throw new InputError({ field: "order", expected: `patch indices below ${patches}`, found: String(j) });
      if (rank < kept) keep[r * (1 + kept) + 1 + rank] = j + 1;
      else masked[r * patches + j] = 1;
      restore[r * (1 + patches) + 1 + j] = 1 + rank;
    }
  }
  return { rows, patches, kept, keep, restore, masked };
}

/** The mask as tensors (the caller disposes them). */
export function maeMaskTensors(m: MaeMask): MaeMaskTensors {
  return {
    keep: tf.tensor2d(m.keep, [m.rows, 1 + m.kept], "int32"),
    restore: tf.tensor2d(m.restore, [m.rows, 1 + m.patches], "int32"),
    masked: tf.tensor2d(m.masked, [m.rows, m.patches]),
  };
}
