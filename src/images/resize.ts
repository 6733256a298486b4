/**
 * PIL's bilinear resize of 8-bit images (Pillow `Image.resize(size, BILINEAR)`, libImaging/Resample.c),
 * written out because neither TensorFlow.js nor sharp reproduces it: when it shrinks, the triangle filter
 * widens with the scale (antialiasing); coefficients are fixed point with 22 fractional bits; the
 * horizontal pass runs first and is rounded to 8 bits before the vertical one.
 *
 * Evaluation uses it for the authors' Resize(256) on a cache stored larger (the pretraining crops want
 * about 512 px, as the authors' 512 px image folder): torchvision's Resize on PIL is this function.
 */
import { resizedSize } from "./decode";
import type { CachedImage } from "./types";

const PRECISION_BITS = 32 - 8 - 2;

/** Per output pixel: the first input pixel and the fixed-point weights of the inputs it reads. */
interface Coefficients {
  first: Int32Array;
  count: Int32Array;
  /** `taps` weights per output pixel. */
  weights: Int32Array;
  taps: number;
}

/** Pillow's `precompute_coeffs` (bilinear filter, support 1) and `normalize_coeffs_8bpc`. */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const ss = 1 / filterScale; // Pillow multiplies by the reciprocal: dividing would differ in the last bit
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const w = new Float64Array(taps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const n = Math.min(Math.trunc(centre + support + 0.5), inSize) - lo;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const x = Math.abs((k + lo - centre + 0.5) * ss);
      w[k] = x < 1 ? 1 - x : 0;
      sum += w[k];
    }
    for (let k = 0; k < n; k++) {
      const v = sum !== 0 ? w[k] / sum : w[k];
      weights[o * taps + k] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, taps };
}

/** Pillow's `clip8`: a fixed-point sum back to 0..255. */
function clip8(v: number): number {
  if (v >= 1 << (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/**
 * One pass along one axis: `lines` lines of `inLen` pixels, `stride` apart in memory for consecutive
 * pixels and `lineStride` for consecutive lines, each resampled to the coefficients' output length.
 */
function pass(
  src: Uint8Array,
  dst: Uint8Array,
  c: Coefficients,
  lines: number,
  io: { inStep: number; inLine: number; outStep: number; outLine: number; channels: number },
): void {
  const outLen = c.first.length;
  for (let l = 0; l < lines; l++) {
    for (let ch = 0; ch < io.channels; ch++) {
      for (let o = 0; o < outLen; o++) {
        let ss = 1 << (PRECISION_BITS - 1);
        const base = l * io.inLine + c.first[o] * io.inStep + ch;
        for (let k = 0; k < c.count[o]; k++) ss += src[base + k * io.inStep] * c.weights[o * c.taps + k];
        dst[l * io.outLine + o * io.outStep + ch] = clip8(ss);
      }
    }
  }
}

/** `img` resized to `width` x `height` exactly as PIL's bilinear `Image.resize` (any channel count). */
export function pilResize(img: CachedImage, width: number, height: number): CachedImage {
  const C = img.channels;
  let data = img.data;
  let w = img.width;
  if (width !== img.width) {
    const out = new Uint8Array(width * img.height * C);
    pass(data, out, coefficients(img.width, width), img.height, {
      inStep: C,
      inLine: img.width * C,
      outStep: C,
      outLine: width * C,
      channels: C,
    });
    data = out;
    w = width;
  }
  if (height !== img.height) {
    const out = new Uint8Array(w * height * C);
    // Columns as lines: consecutive pixels of a column are a row apart.
    pass(data, out, coefficients(img.height, height), w, {
      inStep: w * C,
      inLine: C,
      outStep: w * C,
      outLine: C,
      channels: C,
    });
    data = out;
  }
  return { width, height, channels: C, data };
}

/** torchvision's Resize(shortSide) on PIL: the image as it is when its shorter side already is `shortSide`. */
export function resizeShortSide(img: CachedImage, shortSide: number): CachedImage {
  const r = resizedSize(img.width, img.height, shortSide);
  return r.width === img.width && r.height === img.height ? img : pilResize(img, r.width, r.height);
}
