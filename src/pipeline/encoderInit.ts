/**
 * The encoders of a study that are not pretrained by it (the baselines of the paper's Table 3): an
 * untrained, seeded encoder (the floor every pretraining must beat) and one read from a weight file
 * (torchvision / timm ViT weights, e.g. supervised ImageNet), probed and tabled like the others.
 */
import { load, saveEncoder } from "../model/load";
import { VisionTransformer } from "../model/vit";
import type { PretrainConfig } from "../train/config";
import { vitOptionsOf } from "../train/msnMethod";

/** How a study model's encoder comes about: pretrained by the study (default), random, or from a file. */
export type EncoderInit = "pretrain" | "random" | { weights: string; heads?: number };

/**
 * Writes the encoder of a model that is not pretrained to `file`: `random` has the study's encoder
 * geometry and `settings.seed`'s initial weights; `weights` is read from its file.
 */
export function writeInitialEncoder(
  init: Exclude<EncoderInit, "pretrain">,
  settings: PretrainConfig,
  file: string,
): void {
  const vit =
    init === "random"
      ? new VisionTransformer({ ...vitOptionsOf(settings), seed: settings.seed })
      : load(init.weights, { heads: init.heads });
  try {
    saveEncoder(vit, file);
  } finally {
    vit.dispose();
  }
}
