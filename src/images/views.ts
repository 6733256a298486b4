/**
 * Views of a batch as tensors (NHWC float32): the MSN pretraining views and the authors'
 * evaluation transforms, all behind one shape: cached images in, normalised tensors out.
 *
 * Crops are done by `tf.image.cropAndResize` on a padded batch "canvas": each image sits at (1, 1)
 * of a [B, Hmax + 2, Wmax + 2, C] tensor with a one-pixel replicated border, and each box is
 * placed so that output pixel k samples input position top + (k + 0.5) h / S - 0.5, the
 * half-pixel-centre convention of PIL and torchvision. Flips are boxes with x1 > x2, so they cost
 * nothing. Two differences from PIL's crop-then-resize remain (measured in
 * test/images/views.test.ts): cropAndResize does not antialias when it shrinks (the MSN crops shrink
 * by at most ~1.6x at a 256 px cache), and when it enlarges, the outermost output pixels blend in
 * the image pixel just outside the box where PIL repeats the box's edge pixel.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError, describeValue } from "../util/errors";
import { checkInt } from "../util/validate";
import type { Rng } from "../util/random";
import {
  centreCropOffset,
  inverseAffine,
  randomAffineParams,
  randomResizedCropBox,
  type AffineParams,
  type CropBox,
} from "./crops";
import { resizedSize } from "./decode";
import { pilResize, resizeShortSide } from "./resize";
import type {
  CachedImage,
  EvalViewOptions,
  MsnViewOptions,
  MsnViews,
  Normalization,
  NormalizationChoice,
  ProbeTrainOptions,
  ViewOptions,
} from "./types";

/** ImageNet statistics (lightly's and the paper's normalisation). */
export const IMAGENET_STATS: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * The statistics the authors' evaluation code uses (named `IMAGENET_STAT` there, but not ImageNet's;
 * method-reference §14 and §19): pretraining normalises with ImageNet's, linear evaluation with these.
 */
export const AUTHORS_EVAL_STATS: Normalization = { mean: [0.4884, 0.455, 0.4171], std: [0.2596, 0.253, 0.2556] };

/** Per-channel affine map from 0..255 pixels to normalised values. */
type Norm = { scale: number[]; offset: number[] };

/**
 * Per-channel `scale` and `offset` such that `pixel * scale + offset` = (pixel / 255 - mean) / std.
 * With one channel, three-channel statistics are averaged (what a replicated grey pixel sees on average).
 */
export function normalization(choice: NormalizationChoice | undefined, channels: 1 | 3): Norm {
  const stats =
    choice === undefined || choice === "imagenet"
      ? IMAGENET_STATS
      : choice === "authors-eval"
        ? AUTHORS_EVAL_STATS
        : choice === false
          ? { mean: [0], std: [1] }
          : choice;
  if (
    typeof stats !== "object" ||
    !Array.isArray(stats.mean) ||
    !Array.isArray(stats.std) ||
    stats.mean.length !== stats.std.length ||
    ![1, 3].includes(stats.mean.length) ||
    stats.std.some((s) => !(s > 0))
  ) {
    throw new InputError({
      field: "normalize",
      expected: '"imagenet", "authors-eval", false or { mean, std } of 1 or 3 values with std > 0',
      found: describeValue(choice),
    });
  }
  const avg = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const mean =
    stats.mean.length === channels
      ? [...stats.mean]
      : channels === 1
        ? [avg(stats.mean)]
        : [0, 1, 2].map(() => stats.mean[0]);
  const std =
    stats.std.length === channels
      ? [...stats.std]
      : channels === 1
        ? [avg(stats.std)]
        : [0, 1, 2].map(() => stats.std[0]);
  return { scale: std.map((s) => 1 / (255 * s)), offset: mean.map((m, c) => -m / std[c]) };
}

const MSN_DEFAULTS = {
  randomSize: 224,
  focalSize: 96,
  focalViews: 10,
  randomScale: [0.3, 1] as const,
  focalScale: [0.05, 0.3] as const,
  ratio: [3 / 4, 4 / 3] as const,
  hflip: 0.5,
};

/**
 * The MSN views of a batch (lightly `MSNTransform` as the authors call it): view 0 (target) and
 * view 1 (anchor) are RandomResizedCrop(224, scale 0.3-1) + flip; views 2..11 (focal) are
 * RandomResizedCrop(96, scale 0.05-0.3) + flip; then ToTensor and Normalize. Focal views are
 * view-major, as the authors concatenate them. Randomness is drawn view by view, image by image
 * (box, then flip), so the same `rng` state and batch give the same views.
 *
 * One `cropAndResize` per output size (see the file's header for how it compares with PIL).
 */
export function msnViews(images: CachedImage[], rng: Rng, options: MsnViewOptions = {}): MsnViews {
  const o = { ...MSN_DEFAULTS, ...options };
  const inC = checkImages(images);
  const channels = outChannels(options, inC);
  checkRange("randomScale", o.randomScale, 0, 1);
  checkRange("focalScale", o.focalScale, 0, 1);
  checkRange("ratio", o.ratio, 0, Infinity);
  checkSize("randomSize", o.randomSize);
  checkSize("focalSize", o.focalSize);
  checkInt(o.focalViews, "focalViews", { min: 0 });
  checkProbability("hflip", o.hflip);
  const B = images.length;
  const random: Crop[] = [],
    focal: Crop[] = [];
  for (let v = 0; v < 2 + o.focalViews; v++) {
    for (let b = 0; b < B; b++) {
      const img = images[b];
      const box = randomResizedCropBox(img.width, img.height, v < 2 ? o.randomScale : o.focalScale, o.ratio, rng);
      (v < 2 ? random : focal).push({ image: b, box, flip: rng.bernoulli(o.hflip) });
    }
  }
  const norm = normalization(options.normalize, channels);
  const resize = cropper(images, o.antialias === true);
  return tf.tidy(() => {
    // Split before normalising: the split then copies grey pixels, not their 3-channel expansion.
    const [target, anchor] = tf.split(resize(random, o.randomSize), 2, 0) as [tf.Tensor4D, tf.Tensor4D];
    const small =
      o.focalViews > 0
        ? normalise(resize(focal, o.focalSize), norm)
        : (tf.zeros([0, o.focalSize, o.focalSize, channels]) as tf.Tensor4D);
    return { target: normalise(target, norm), anchor: normalise(anchor, norm), focal: small };
  });
}

/** One crop of a batch: which image, which box, and whether to flip it horizontally. */
export interface Crop {
  image: number;
  box: CropBox;
  flip: boolean;
}

/**
 * torchvision's `resized_crop` (+ `hflip`) of each crop, resized to size x size, bilinear with
 * half-pixel centres, in one `cropAndResize` call; then normalised. [crops.length, size, size, C].
 */
export function resizedCrops(
  images: CachedImage[],
  crops: readonly Crop[],
  size: number,
  options: ViewOptions & Pick<MsnViewOptions, "antialias"> = {},
): tf.Tensor4D {
  const inC = checkImages(images);
  const channels = outChannels(options, inC);
  checkSize("size", size);
  const norm = normalization(options.normalize, channels);
  const resize = cropper(images, options.antialias === true);
  return tf.tidy(() => normalise(resize(crops, size), norm));
}

/**
 * How a batch's crops become size x size pixels (0..255, not normalised): one `cropAndResize` on the
 * batch's canvas, uploaded at the first call (call it inside one `tf.tidy`), or, with `antialias`, as
 * torchvision's `resized_crop` on PIL: each box cut out and resized by `pilResize`, in JavaScript.
 */
function cropper(images: CachedImage[], antialias: boolean): (crops: readonly Crop[], size: number) => tf.Tensor4D {
  if (antialias) return (crops, size) => pilCrops(images, crops, size);
  const canvas = packCanvas(images);
  let pixels: tf.Tensor4D | undefined;
  return (crops, size) => {
    pixels ??= canvasTensor(canvas, images.length, images[0].channels);
    return cropResize(pixels, canvas, images, crops, size);
  };
}

/** Throws unless crop k's box lies inside its image (and, for PIL's crop, `whole` pixels). */
function checkCrop(c: Crop, k: number, images: CachedImage[], whole: boolean): void {
  const { top, left, height, width } = c.box;
  const img = images[c.image];
  const inside =
    img && top >= 0 && left >= 0 && height > 0 && width > 0 && top + height <= img.height && left + width <= img.width;
  if (!inside || (whole && ![top, left, height, width].every(Number.isInteger)))
    throw new InputError({
      field: `crops[${k}]`,
      expected: whole ? "a box of whole pixels inside its image" : "a box inside its image",
      found: `image ${c.image}, box ${JSON.stringify(c.box)}`,
    });
}

/** PIL's crop, resize (`pilResize`) and mirror of each crop: [crops.length, size, size, C], 0..255. */
function pilCrops(images: CachedImage[], crops: readonly Crop[], size: number): tf.Tensor4D {
  const C = images[0].channels;
  const out = new Float32Array(crops.length * size * size * C);
  crops.forEach((c, k) => {
    checkCrop(c, k, images, true);
    const img = images[c.image];
    const { top, left, height, width } = c.box;
    const cut = new Uint8Array(height * width * C);
    for (let y = 0; y < height; y++) {
      const from = ((top + y) * img.width + left) * C;
      cut.set(img.data.subarray(from, from + width * C), y * width * C);
    }
    const r = pilResize({ width, height, channels: C, data: cut }, size, size).data;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let ch = 0; ch < C; ch++)
          out[((k * size + y) * size + x) * C + ch] = r[(y * size + (c.flip ? size - 1 - x : x)) * C + ch];
  });
  return tf.tensor4d(out, [crops.length, size, size, C]);
}

/** The crops of `resizedCrops`, not normalised, on a canvas already uploaded (one `cropAndResize`). */
function cropResize(
  pixels: tf.Tensor4D,
  canvas: Canvas,
  images: CachedImage[],
  crops: readonly Crop[],
  size: number,
): tf.Tensor4D {
  const boxes = new Float32Array(crops.length * 4),
    ind = new Int32Array(crops.length);
  crops.forEach((c, k) => {
    checkCrop(c, k, images, false);
    const { top, left, height, width } = c.box;
    // Output pixel k samples top + (k + 0.5) h / size - 0.5 (half-pixel centres, as PIL).
    const y1 = top + (0.5 * height) / size - 0.5,
      y2 = top + ((size - 0.5) * height) / size - 0.5;
    const x1 = left + (0.5 * width) / size - 0.5,
      x2 = left + ((size - 0.5) * width) / size - 0.5;
    boxes.set(c.flip ? canvasBox(y1, y2, x2, x1, canvas) : canvasBox(y1, y2, x1, x2, canvas), k * 4);
    ind[k] = c.image;
  });
  return tf.image.cropAndResize(pixels, tf.tensor2d(boxes, [crops.length, 4]), tf.tensor1d(ind, "int32"), [size, size]);
}

/**
 * The authors' evaluation transform: Resize(256) (shorter side) then CenterCrop(224), ToTensor,
 * Normalize (ImageNet by default; `normalize: "authors-eval"` for their code's statistics).
 * The resize is PIL's (antialiased when it shrinks, `pilResize`), so a cache stored larger for
 * pretraining (512 px) gives the pixels of the authors' Resize(256) of their 512 px images; on a
 * cache whose shorter side already is `resize`, the view is an exact crop of the stored pixels.
 */
export function evalViews(images: CachedImage[], options: EvalViewOptions = {}): tf.Tensor4D {
  const inC = checkImages(images);
  const channels = outChannels(options, inC);
  const { resize, crop } = evalSizes(options);
  const norm = normalization(options.normalize, channels);
  const B = images.length;
  const sized = images.map((img) => resizeShortSide(img, resize));
  const canvas = packCanvas(sized);
  const boxes = new Float32Array(B * 4);
  sized.forEach((img, b) => {
    const top = centreCropOffset(img.height, crop),
      left = centreCropOffset(img.width, crop);
    // Boxes through the centres of the first and last pixels: output pixel k is stored pixel top + k.
    boxes.set(canvasBox(top, top + crop - 1, left, left + crop - 1, canvas), b * 4);
  });
  return tf.tidy(() => {
    const pixels = canvasTensor(canvas, B, inC);
    const ind = tf.tensor1d(
      Int32Array.from({ length: B }, (_, i) => i),
      "int32",
    );
    return normalise(tf.image.cropAndResize(pixels, tf.tensor2d(boxes, [B, 4]), ind, [crop, crop]), norm);
  });
}

/**
 * The authors' linear-probe training transform: Resize(256), RandomHorizontalFlip(0.5),
 * RandomAffine(degrees 45, translate (0.15, 0.15), scale (0.85, 1.15)) with torchvision's default
 * nearest interpolation and zero fill, CenterCrop(224), ToTensor, Normalize.
 *
 * tfjs-node has no projective-transform kernel, so the composite map (crop -> affine -> flip) is
 * evaluated here per output pixel on the images after PIL's Resize (`pilResize`) and the pixels are
 * fetched with one `tf.gather`.
 */
export function probeTrainViews(images: CachedImage[], rng: Rng, options: ProbeTrainOptions = {}): tf.Tensor4D {
  const inC = checkImages(images);
  outChannels(options, inC); // checks `channels` before any work; affineCrops uses it again
  const { resize, crop } = evalSizes(options);
  const hflip = options.hflip ?? 0.5;
  const degrees = options.degrees ?? 45;
  const translate = options.translate ?? [0.15, 0.15];
  const scale = options.scale ?? [0.85, 1.15];
  checkProbability("hflip", hflip);
  if (!(degrees >= 0 && degrees <= 180))
    throw new InputError({ field: "degrees", expected: "a number in 0..180", found: describeValue(degrees) });
  checkRange("translate", translate, 0, 1, true);
  checkRange("scale", scale, 0, Infinity);
  const params = images.map((img) => {
    const r = resizedSize(img.width, img.height, resize);
    const flip = rng.bernoulli(hflip);
    return { flip, affine: randomAffineParams(r.width, r.height, degrees, translate, scale, rng) };
  });
  return affineCrops(images, params, { ...options, resize, crop });
}

/**
 * torchvision on PIL, with given parameters: Resize(resize), optional hflip, `affine` (nearest, fill
 * 0, about the image centre), CenterCrop(crop); then normalised. One `tf.gather` for the batch.
 */
export function affineCrops(
  images: CachedImage[],
  params: readonly { flip: boolean; affine: AffineParams }[],
  options: EvalViewOptions = {},
): tf.Tensor4D {
  const inC = checkImages(images);
  const channels = outChannels(options, inC);
  const { resize, crop } = evalSizes(options);
  if (params.length !== images.length)
    throw new InputError({ field: "params", expected: `one per image (${images.length})`, found: `${params.length}` });
  const norm = normalization(options.normalize, channels);
  const B = images.length;
  const sized = images.map((img) => resizeShortSide(img, resize));
  const canvas = packCanvas(sized);
  const plane = canvas.height * canvas.width;
  const fill = B * plane; // index of the zero appended after the canvas
  const index = new Int32Array(B * crop * crop);
  sized.forEach((img, b) => {
    const { flip } = params[b];
    const [a, bb, c, d, e, f] = inverseAffine(params[b].affine, img.width, img.height);
    const top = centreCropOffset(img.height, crop),
      left = centreCropOffset(img.width, crop);
    for (let k = 0; k < crop; k++) {
      const y = top + k + 0.5;
      for (let l = 0; l < crop; l++) {
        const x = left + l + 0.5;
        let xr = a * x + bb * y + c;
        const yr = d * x + e * y + f;
        if (flip) xr = img.width - xr;
        // PIL's nearest: the pixel whose cell contains the point; outside the image: the fill.
        const col = Math.floor(xr),
          row = Math.floor(yr);
        index[(b * crop + k) * crop + l] =
          col >= 0 && col < img.width && row >= 0 && row < img.height
            ? b * plane + (row + 1) * canvas.width + col + 1
            : fill;
      }
    }
  });
  return tf.tidy(() => {
    const flat = tf.tensor2d(canvas.data, [B * plane, inC]).concat(tf.zeros([1, inC]));
    const px = tf.gather(flat, tf.tensor1d(index, "int32")).reshape([B, crop, crop, inC]) as tf.Tensor4D;
    return normalise(px, norm);
  });
}

/** The batch as one float canvas [B, H, W, C] (H, W: the largest image + 2), each image at (1, 1) with a replicated border. */
interface Canvas {
  data: Float32Array;
  height: number;
  width: number;
}

function canvasTensor(canvas: Canvas, B: number, C: number): tf.Tensor4D {
  return tf.tensor4d(canvas.data, [B, canvas.height, canvas.width, C]);
}

function packCanvas(images: CachedImage[]): Canvas {
  let H = 0,
    W = 0;
  for (const im of images) {
    H = Math.max(H, im.height + 2);
    W = Math.max(W, im.width + 2);
  }
  const C = images[0].channels;
  const data = new Float32Array(images.length * H * W * C);
  images.forEach((im, b) => {
    const base = b * H * W * C;
    const rowLen = im.width * C;
    for (let y = -1; y <= im.height; y++) {
      const src = Math.min(im.height - 1, Math.max(0, y)) * rowLen;
      const dst = base + ((y + 1) * W + 1) * C;
      for (let x = 0; x < rowLen; x++) data[dst + x] = im.data[src + x];
      for (let ch = 0; ch < C; ch++) {
        data[dst - C + ch] = im.data[src + ch];
        data[dst + rowLen + ch] = im.data[src + rowLen - C + ch];
      }
    }
  });
  return { data, height: H, width: W };
}

/** Image pixel positions of the first and last samples -> normalised canvas coordinates. */
function canvasBox(y1: number, y2: number, x1: number, x2: number, canvas: Canvas): Float32Array {
  return Float32Array.of(
    (y1 + 1) / (canvas.height - 1),
    (x1 + 1) / (canvas.width - 1),
    (y2 + 1) / (canvas.height - 1),
    (x2 + 1) / (canvas.width - 1),
  );
}

/**
 * [N, S, S, 1 or 3] pixels in 0..255 -> normalised, grey replicated to 3 channels when asked: one
 * fused 1x1 convolution with bias (a third faster than a broadcast multiply and add, which
 * writes the 3-channel tensor twice).
 */
function normalise(px: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  const inC = px.shape[3],
    outC = norm.scale.length;
  const filter = new Float32Array(inC * outC);
  for (let c = 0; c < outC; c++) filter[(inC === 1 ? 0 : c) * outC + c] = norm.scale[c];
  return tf.fused.conv2d({
    x: px,
    filter: tf.tensor4d(filter, [1, 1, inC, outC]),
    strides: 1,
    pad: "valid",
    bias: tf.tensor1d(norm.offset),
  });
}

function checkImages(images: CachedImage[]): 1 | 3 {
  if (!Array.isArray(images) || images.length === 0)
    throw new InputError({ field: "images", expected: "a non-empty array of images", found: describeValue(images) });
  const c = images[0].channels;
  images.forEach((im, i) => {
    if (im.channels !== c || im.data.length !== im.width * im.height * im.channels || im.width < 1 || im.height < 1) {
      throw new InputError({
        field: `images[${i}]`,
        expected: `${c}-channel pixels of width x height x channels bytes`,
        found: `${im.width}x${im.height}x${im.channels} with ${im.data.length} bytes`,
      });
    }
  });
  return c;
}

function outChannels(options: ViewOptions, inC: 1 | 3): 1 | 3 {
  const c = options.channels ?? 3;
  if (c !== 1 && c !== 3) throw new InputError({ field: "channels", expected: "1 or 3", found: describeValue(c) });
  if (c === 1 && inC === 3)
    throw new InputError({
      field: "channels",
      expected: "3 for a cache of RGB images",
      found: "1",
      hint: "Build the cache with channels: 1 for grey views.",
    });
  return c;
}

function evalSizes(options: EvalViewOptions): { resize: number; crop: number } {
  const resize = options.resize ?? 256,
    crop = options.crop ?? 224;
  checkSize("resize", resize);
  checkSize("crop", crop);
  if (crop > resize)
    throw new InputError({ field: "crop", expected: `at most resize (${resize})`, found: String(crop) });
  return { resize, crop };
}

function checkSize(field: string, v: number): void {
  checkInt(v, field, { min: 2, max: 4096 });
}

function checkProbability(field: string, p: number): void {
  if (!(p >= 0 && p <= 1))
    throw new InputError({ field, expected: "a probability in [0, 1]", found: describeValue(p) });
}

function checkRange(field: string, r: readonly [number, number], lo: number, hi: number, zeroOk = false): void {
  const ok =
    Array.isArray(r) &&
    r.length === 2 &&
    r.every((v) => typeof v === "number" && (zeroOk ? v >= lo : v > lo) && v <= hi) &&
    r[0] <= r[1];
  if (!ok)
    throw new InputError({
      field,
      expected: `[min, max] with ${lo} ${zeroOk ? "<=" : "<"} min <= max <= ${hi}`,
      found: Array.isArray(r) ? `[${r.join(", ")}]` : describeValue(r),
    });
}
