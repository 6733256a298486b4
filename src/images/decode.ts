/**
 * Decoding one image file (JPEG, PNG, anything sharp reads) into resized uint8 pixels.
 */
import * as fs from "fs";
import sharp from "sharp";
import type { BadImageReason, CachedImage, ImageSource } from "./types";

/**
 * Size after torchvision's `Resize(shortSide)`: the shorter side becomes `shortSide`, the longer
 * is scaled by the same factor and truncated (`int(...)`), as the authors' transforms do.
 */
export function resizedSize(width: number, height: number, shortSide: number): { width: number; height: number } {
  if (width <= height) return { width: shortSide, height: Math.floor((shortSide * height) / width) };
  return { width: Math.floor((shortSide * width) / height), height: shortSide };
}

/** A file that could not be read or decoded; `reason` says which. */
export class BadImageError extends Error {
  constructor(
    readonly reason: BadImageReason,
    message: string,
  ) {
    super(message);
    this.name = "BadImageError";
  }
}

/**
 * Reads `src.path`, converts it to `channels` channels of 8 bits and resizes it so that its shorter
 * side is `shortSide` (bilinear with antialiasing, like PIL's bilinear resize). Throws BadImageError.
 */
export async function decodeResized(src: ImageSource, shortSide: number, channels: 1 | 3): Promise<CachedImage> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(src.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadImageError(code === "ENOENT" ? "missing" : "undecodable", (e as Error).message);
  }
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) throw new Error("the image has no size");
    const size = resizedSize(meta.width, meta.height, shortSide);
    // failOn "warning" (sharp's default, made explicit): a truncated JPEG is an error, not grey rows.
    let pipeline = sharp(bytes, { failOn: "warning" })
      .resize({ ...size, fit: "fill", kernel: "linear" })
      .removeAlpha();
    pipeline = channels === 1 ? pipeline.toColourspace("b-w") : pipeline.toColourspace("srgb");
    const { data, info } = await pipeline.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels || info.width !== size.width || info.height !== size.height) {
      throw new Error(
        `decoded to ${info.width}x${info.height}x${info.channels}, not ${size.width}x${size.height}x${channels}`,
      );
    }
    return {
      width: info.width,
      height: info.height,
      channels,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (e) {
    throw new BadImageError("undecodable", (e as Error).message);
  }
}
