/** Writes one phantom JPEG: shared by the worker threads and the single-thread path. */
import * as fs from "fs";
import * as path from "path";
import sharp from "sharp";
import type { PhantomSpec } from "../phantoms";
import { renderPhantom } from "./render";
import { writeFileAtomic } from "../../util/atomicWrite";

export async function writePhantom(spec: PhantomSpec, job: { longSide: number; quality: number }): Promise<void> {
  const img = renderPhantom(spec, job.longSide);
  await fs.promises.mkdir(path.dirname(spec.file), { recursive: true });
  // "b-w" keeps a one-channel JPEG, as MIMIC-CXR-JPG's (sharp would otherwise write sRGB).
  const jpeg = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } })
    .toColourspace("b-w")
    .jpeg({ quality: job.quality })
    .toBuffer();
  writeFileAtomic(spec.file, jpeg);
}
