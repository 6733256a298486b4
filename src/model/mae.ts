/**
 * MAE (He et al. 2022), a baseline of the paper's Table 3: the ViT encodes a random quarter of each
 * image's patches (and the class token), a lightweight decoder (maeDecoder.ts) predicts the pixels of
 * every patch, and the loss is the mean squared error on the masked patches only, against per-patch
 * normalised pixels (MAE's `norm_pix_loss`). Parameter names: `backbone.*` (torchvision's ViT, the
 * encoder used downstream) and `decoder.*`.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";
import { MaeDecoder } from "./maeDecoder";
import type { MaeMaskTensors } from "./maeMasking";
import { loadModulesState, modulesState, PrefixedParams, prefixedParams } from "./modules";
import { TensorValues } from "./params";
import { VisionTransformer, VitOptions } from "./vit";

export interface MaeModelOptions {
  /** The encoder (size, heads, imageSize, patch, channels); its seed is the model's. */
  vit?: VitOptions;
  /** Decoder width, blocks and heads (default 256, 4 and 8; MAE's own: 512, 8 and 16). */
  decoderDim?: number;
  decoderLayers?: number;
  decoderHeads?: number;
  /** Score normalised pixels (MAE's `norm_pix_loss`, default true) or raw ones. */
  normPixLoss?: boolean;
  seed?: number;
}

/** MAE's variance floor in the per-patch normalisation. */
const NORM_PIX_EPS = 1e-6;

/**
 * MAE's `patchify` for NHWC images: [B, H, W, C] -> [B, L, p·p·C], patches row-major, each patch's
 * values in (row, column, channel) order (the order `decoder_pred` predicts).
 */
export function patchify(images: tf.Tensor4D, patch: number): tf.Tensor3D {
  const [b, h, w, c] = images.shape;
  const rows = h / patch;
  const cols = w / patch;
  return tf.tidy(() =>
    images
      .reshape([b, rows, patch, cols, patch, c])
      .transpose([0, 1, 3, 2, 4, 5])
      .reshape([b, rows * cols, patch * patch * c]),
  );
}

export class MaeModel {
  readonly encoder: VisionTransformer;
  readonly decoder: MaeDecoder;
  readonly normPixLoss: boolean;

  constructor(readonly options: MaeModelOptions = {}) {
    const seed = options.seed ?? 0;
    this.encoder = new VisionTransformer({ ...options.vit, seed }, "mae.backbone");
    const { imageSize, patch, channels } = this.encoder.config;
    this.decoder = new MaeDecoder({
      inDim: this.encoder.dim,
      side: imageSize / patch,
      outDim: patch * patch * channels,
      dim: options.decoderDim,
      layers: options.decoderLayers,
      heads: options.decoderHeads,
      seed: new Rng(seed).fork("decoder").nextUint32(),
    });
    this.normPixLoss = options.normPixLoss ?? true;
  }

  /** Patches per image (L) at the encoder's image size. */
  get patches(): number {
    const { imageSize, patch } = this.encoder.config;
    return (imageSize / patch) ** 2;
  }

  private modules(): PrefixedParams[] {
    return [
      { prefix: "backbone.", params: this.encoder.params },
      { prefix: "decoder.", params: this.decoder.params },
    ];
  }

  /** Every parameter with its state-dict name, in a fixed order; MAE trains them all. */
  namedParams(): [string, tf.Variable][] {
    return prefixedParams(this.modules());
  }

  state(): TensorValues {
    return modulesState(this.modules());
  }

  /** Sets every parameter from `values` (state-dict names); each must be present with its shape. */
  loadState(values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, source: string): void {
    loadModulesState(this.modules(), values, source);
  }

  /** The decoder's pixel predictions of every patch [B, L, p·p·C] for images [B, S, S, C] under `mask`; differentiable. */
  predict(images: tf.Tensor4D, mask: MaeMaskTensors): tf.Tensor3D {
    return tf.tidy(() => this.decoder.forward(this.encoder.encode(images, { keep: mask.keep }), mask.restore));
  }

  /** The pixels the loss compares with [B, L, p·p·C]: normalised per patch (unbiased variance, as torch.var) unless `normPixLoss` is false. */
  targets(images: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const t = patchify(images, this.encoder.config.patch);
      if (!this.normPixLoss) return t;
      const n = t.shape[2];
      const mean = tf.mean(t, -1, true);
      const centred = tf.sub(t, mean);
      const variance = tf.div(tf.sum(tf.square(centred), -1, true), n - 1);
      return tf.div(centred, tf.sqrt(tf.add(variance, NORM_PIX_EPS))) as tf.Tensor3D;
    });
  }

  /** The MAE loss: per-patch mean squared error, averaged over the masked patches; differentiable. */
  loss(images: tf.Tensor4D, mask: MaeMaskTensors): tf.Scalar {
    return tf.tidy(() => {
      const perPatch = tf.mean(tf.squaredDifference(this.predict(images, mask), this.targets(images)), -1);
      return tf.div(tf.sum(tf.mul(perPatch, mask.masked)), tf.sum(mask.masked)) as tf.Scalar;
    });
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
  }
}
