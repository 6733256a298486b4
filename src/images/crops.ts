/**
 * Sampling of crop boxes and affine parameters, with torchvision's exact algorithms (the
 * authors' transforms), separate from the tensor code so that they can be tested directly.
 */
import type { Rng } from "../util/random";

/** A crop box in pixels: rows [top, top + height), columns [left, left + width). */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Python's `round` (halves to even), which torchvision's `int(round(x))` relies on. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision `RandomResizedCrop.get_params`: up to 10 tries of an area fraction uniform in `scale`
 * and a log-uniform aspect ratio (width / height) in `ratio`, a uniform position; then the central
 * crop clamped to the ratio range.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: Rng,
): CropBox {
  const area = width * height;
  const logLo = Math.log(ratio[0]),
    logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.range(scale[0], scale[1]);
    const aspect = Math.exp(rng.range(logLo, logHi));
    const w = pyRound(Math.sqrt(target * aspect));
    const h = pyRound(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width,
    h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = pyRound(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = pyRound(h * Math.max(ratio[0], ratio[1]));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/** torchvision `CenterCrop` offsets: `int(round((size - crop) / 2))`. */
export function centreCropOffset(size: number, crop: number): number {
  return pyRound((size - crop) / 2);
}

/** torchvision `RandomAffine.get_params` (shear 0): angle, integer translation in pixels, scale. */
export interface AffineParams {
  /** Degrees. */
  angle: number;
  tx: number;
  ty: number;
  scale: number;
}

export function randomAffineParams(
  width: number,
  height: number,
  degrees: number,
  translate: readonly [number, number],
  scale: readonly [number, number],
  rng: Rng,
): AffineParams {
  const angle = rng.range(-degrees, degrees);
  const maxDx = translate[0] * width,
    maxDy = translate[1] * height;
  const tx = pyRound(rng.range(-maxDx, maxDx));
  const ty = pyRound(rng.range(-maxDy, maxDy));
  return { angle, tx, ty, scale: rng.range(scale[0], scale[1]) };
}

/**
 * The inverse map of torchvision's PIL affine about the image centre: output continuous coordinates
 * (pixel centres at +0.5) to input continuous coordinates, as `[a, b, c, d, e, f]` with
 * x_in = a x + b y + c, y_in = d x + e y + f (torchvision `_get_inverse_affine_matrix`).
 */
export function inverseAffine(
  p: AffineParams,
  width: number,
  height: number,
): [number, number, number, number, number, number] {
  const rot = (p.angle * Math.PI) / 180;
  const cx = width * 0.5,
    cy = height * 0.5;
  const a = Math.cos(rot) / p.scale,
    b = Math.sin(rot) / p.scale;
  const d = -Math.sin(rot) / p.scale,
    e = Math.cos(rot) / p.scale;
  const c = a * (-cx - p.tx) + b * (-cy - p.ty) + cx;
  const f = d * (-cx - p.tx) + e * (-cy - p.ty) + cy;
  return [a, b, c, d, e, f];
}
