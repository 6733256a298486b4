/**
 * Random token drop for the anchor views (MSN's "patch drop"), as index lists of the tokens kept.
 * Index 0 is the class token; patch j of the grid (row-major) is token j + 1.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";
import { checkNumber } from "../util/validate";
import { Rng } from "../util/random";

/** Kept token indices of `rows` token sequences, `keep` per row (class token first). */
export interface TokenMask {
  rows: number;
  keep: number;
  /** rows x keep, row-major. */
  indices: Int32Array;
}

/**
 * How many tokens a per-sample mask draws from:
 * - "authors": the CXR-EHR-MSN / lightly v1.4.21 convention, a sequence of `patches` tokens (the class
 *   token included), so the last patch can never be kept: keep = int(patches·(1 − ratio)) tokens with
 *   the class token (166 of 197 at 224 px, 30 of 37 at 96 px);
 * - "exact": the whole sequence of patches + 1 tokens (167 of 197, 31 of 37), every patch eligible.
 */
export type MaskCount = "authors" | "exact";

/**
 * Per-sample random token mask with lightly's `random_token_mask` semantics: noise U(0, 1) per token,
 * the class token's noise forced to −1, the tokens with the smallest noise kept.
 */
export function randomTokenMask(
  rows: number,
  patches: number,
  ratio: number,
  rng: Rng,
  count: MaskCount = "authors",
): TokenMask {
  checkRatio(ratio);
  const seqLength = count === "authors" ? patches : patches + 1;
  // int(seq_length * (1 - mask_ratio)) in Python; the same float64 arithmetic here.
  const keep = Math.trunc(seqLength * (1 - ratio));
  if (keep < 1)
    throw new InputError({
      field: "maskRatio",
      expected: `a ratio that keeps at least the class token of ${seqLength}`,
      found: String(ratio),
    });
  const indices = new Int32Array(rows * keep);
  const noise = new Float64Array(seqLength);
  const order = Array.from({ length: seqLength }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < seqLength; i++) noise[i] = rng.uniform();
    noise[0] = -1;
    order.sort((a, b) => noise[a] - noise[b] || a - b);
    for (let i = 0; i < keep; i++) indices[r * keep + i] = order[i];
  }
  return { rows, keep, indices };
}

/**
 * The original MSN's patch drop (facebookresearch/msn `deit.py`): one random permutation shared by
 * every row; the class token plus floor(patches·(1 − ratio)) patches are kept.
 */
export function batchTokenMask(rows: number, patches: number, ratio: number, rng: Rng): TokenMask {
  checkRatio(ratio);
  const kept = Math.floor(patches * (1 - ratio));
  const perm = rng.permutation(patches);
  const keep = kept + 1;
  const indices = new Int32Array(rows * keep);
  for (let r = 0; r < rows; r++) {
    indices[r * keep] = 0;
    for (let i = 0; i < kept; i++) indices[r * keep + 1 + i] = perm[i] + 1;
  }
  return { rows, keep, indices };
}

/** The mask as a [rows, keep] int32 tensor (the `keep` option of the ViT forward). */
export function maskTensor(mask: TokenMask): tf.Tensor2D {
  return tf.tensor2d(mask.indices, [mask.rows, mask.keep], "int32");
}

function checkRatio(ratio: number): void {
  checkNumber(ratio, "maskRatio", { min: 0, max: 1, maxExclusive: true });
}
