/**
 * Vision Transformer with torchvision's layout (`torchvision.models.VisionTransformer`): patch
 * embedding, class token, learned position embedding, pre-norm blocks with nn.MultiheadAttention and
 * an exact-GELU MLP (block.ts), LayerNorm eps 1e-6, and the class token after the final norm as the output.
 *
 * Written so that it trains on every backend: the patch embedding is a reshape/transpose and a matMul
 * (no trainable conv2d), the class token a concat, and the position embedding of other grid sizes a
 * bicubic resampling matrix (as lightly's MAEEncoder.interpolate_pos_encoding) applied by matMul.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";
import { checkInt } from "../util/validate";
import { Rng } from "../util/random";
import { bicubicGridMatrix } from "./bicubic";
import type { Encoder } from "./encoder";
import { BlockWeights, transformerBlock } from "./block";
import { init, layerNorm, linear } from "./layers";
import { Params } from "./params";

export type VitSize = "tiny" | "small" | "base";

/** Hidden size, depth and heads of the named sizes; "tiny" has 6 heads as in the authors' code (3 in DeiT). */
export const VIT_SIZES: Record<VitSize, { dim: number; layers: number; heads: number }> = {
  tiny: { dim: 192, layers: 12, heads: 6 },
  small: { dim: 384, layers: 12, heads: 6 },
  base: { dim: 768, layers: 12, heads: 12 },
};

export interface VitOptions {
  /** A named size; `dim`, `layers`, `heads` and `mlpDim` override its numbers (default "tiny"). */
  size?: VitSize;
  dim?: number;
  layers?: number;
  heads?: number;
  /** MLP hidden size (default 4·dim). */
  mlpDim?: number;
  /** Side of the square input images the position embedding is learned for (default 224). */
  imageSize?: number;
  /** Patch side (default 16). */
  patch?: number;
  /** Input channels (default 3: grey replicated, as the authors). */
  channels?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
}

export interface VitConfig {
  dim: number;
  layers: number;
  heads: number;
  mlpDim: number;
  imageSize: number;
  patch: number;
  channels: number;
}

const LN_EPS = 1e-6;

/** Resolves and checks the options; throws InputError naming the bad field. */
export function vitConfig(opts: VitOptions = {}): VitConfig {
  const size = opts.size ?? "tiny";
  if (!(size in VIT_SIZES))
    throw new InputError({
      field: "size",
      expected: `one of ${Object.keys(VIT_SIZES).join(", ")}`,
      found: JSON.stringify(size),
    });
  const base = VIT_SIZES[size];
  const cfg: VitConfig = {
    dim: opts.dim ?? base.dim,
    layers: opts.layers ?? base.layers,
    heads: opts.heads ?? base.heads,
    mlpDim: opts.mlpDim ?? 4 * (opts.dim ?? base.dim),
    imageSize: opts.imageSize ?? 224,
    patch: opts.patch ?? 16,
    channels: opts.channels ?? 3,
  };
  for (const k of Object.keys(cfg) as (keyof VitConfig)[]) checkInt(cfg[k], k, { min: 1 });
  if (cfg.imageSize % cfg.patch !== 0) {
    throw new InputError({
      field: "imageSize",
      expected: `a multiple of the patch size ${cfg.patch}`,
      found: String(cfg.imageSize),
    });
  }
  if (cfg.dim % cfg.heads !== 0)
    throw new InputError({
      field: "heads",
      expected: `a divisor of the hidden size ${cfg.dim}`,
      found: String(cfg.heads),
    });
  return cfg;
}

/** torchvision's state-dict names of the parameters of one encoder layer. */
export function layerParamNames(i: number): string[] {
  const p = `encoder.layers.encoder_layer_${i}.`;
  return [
    "ln_1.weight",
    "ln_1.bias",
    "self_attention.in_proj_weight",
    "self_attention.in_proj_bias",
    "self_attention.out_proj.weight",
    "self_attention.out_proj.bias",
    "ln_2.weight",
    "ln_2.bias",
    "mlp.0.weight",
    "mlp.0.bias",
    "mlp.3.weight",
    "mlp.3.bias",
  ].map((n) => p + n);
}

export interface ForwardOptions {
  /**
   * Tokens to keep per image, [B, K] int32 indices into the class token + patch sequence (0 = class
   * token). Dropped tokens are removed after the position embedding is added, as lightly's MAEEncoder.
   */
  keep?: tf.Tensor2D;
}

/** A ViT; also the `Encoder` evaluation uses (embed = final-norm class token). */
export class VisionTransformer implements Encoder {
  readonly config: VitConfig;
  readonly params: Params;
  private readonly posResample = new Map<number, tf.Tensor2D>();

  constructor(opts: VitOptions = {}, scope = "vit") {
    this.config = vitConfig(opts);
    this.params = new Params(scope);
    this.initialise(new Rng(opts.seed ?? 0));
  }

  get dim(): number {
    return this.config.dim;
  }
  get imageSize(): number {
    return this.config.imageSize;
  }
  get channels(): number {
    return this.config.channels;
  }

  /** Creates the parameters in torchvision's order with torchvision's initialisation. */
  private initialise(rng: Rng): void {
    const { dim: d, layers, mlpDim: m, patch: p, channels: c, imageSize } = this.config;
    const tokens = (imageSize / p) ** 2 + 1;
    const r = (name: string) => rng.fork(name);
    const P = this.params;
    P.add("class_token", [1, 1, d], init.zeros(d));
    P.add(
      "conv_proj.weight",
      [d, c, p, p],
      init.truncNormal(d * c * p * p, Math.sqrt(1 / (c * p * p)), r("conv_proj.weight")),
    );
    P.add("conv_proj.bias", [d], init.zeros(d));
    P.add("encoder.pos_embedding", [1, tokens, d], init.normal(tokens * d, 0.02, r("encoder.pos_embedding")));
    for (let i = 0; i < layers; i++) {
      const [ln1w, ln1b, inW, inB, outW, outB, ln2w, ln2b, w1, b1, w2, b2] = layerParamNames(i);
      P.add(ln1w, [d], init.ones(d));
      P.add(ln1b, [d], init.zeros(d));
      P.add(inW, [3 * d, d], init.xavierUniform(3 * d, d, r(inW)));
      P.add(inB, [3 * d], init.zeros(3 * d));
      P.add(outW, [d, d], init.linearDefault(d * d, d, r(outW)));
      P.add(outB, [d], init.zeros(d));
      P.add(ln2w, [d], init.ones(d));
      P.add(ln2b, [d], init.zeros(d));
      P.add(w1, [m, d], init.xavierUniform(m, d, r(w1)));
      P.add(b1, [m], init.normal(m, 1e-6, r(b1)));
      P.add(w2, [d, m], init.xavierUniform(d, m, r(w2)));
      P.add(b2, [d], init.normal(d, 1e-6, r(b2)));
    }
    P.add("encoder.ln.weight", [d], init.ones(d));
    P.add("encoder.ln.bias", [d], init.zeros(d));
  }

  /** Every weight, as trainable variables (for fine-tuning: `tf.variableGrads(loss, vit.variables())`). */
  variables(): tf.Variable[] {
    return this.params.variables();
  }

  /**
   * Differentiable forward: [B, H, W, C] images (H = W, a multiple of the patch) to the [B, dim]
   * class token after the final LayerNorm. Other image sizes than `imageSize` use the bicubically
   * resampled position embedding.
   */
  forward(images: tf.Tensor4D, opts: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => this.run(images, opts, true).reshape([images.shape[0], this.config.dim]) as tf.Tensor2D);
  }

  /**
   * Differentiable forward to every (kept) token after the final LayerNorm, [B, T, dim] with the class
   * token first (MAE's encoder output, which its decoder reads).
   */
  encode(images: tf.Tensor4D, opts: ForwardOptions = {}): tf.Tensor3D {
    return this.run(images, opts, false);
  }

  /** The forward pass; with `clsOnly` the last block computes the class token alone ([B, 1, dim]). */
  private run(images: tf.Tensor4D, opts: ForwardOptions, clsOnly: boolean): tf.Tensor3D {
    const { dim: d, patch: p, channels: c, layers, heads } = this.config;
    const [b, h, w, ch] = images.shape;
    if (h !== w || h % p !== 0 || ch !== c) {
      throw new InputError({
        field: "images",
        expected: `[batch, S, S, ${c}] with S a multiple of ${p}`,
        found: `shape [${images.shape}]`,
      });
    }
    const side = h / p;
    return tf.tidy(() => {
      const P = this.params;
      // Patch vectors in (channel, row, column) order, the layout of conv_proj.weight [D, C, p, p].
      const patches = images
        .reshape([b, side, p, side, p, c])
        .transpose([0, 1, 3, 5, 2, 4])
        .reshape([b * side * side, c * p * p]) as tf.Tensor2D;
      const tokens = linear(
        patches,
        P.get("conv_proj.weight").reshape([d, c * p * p]),
        P.get("conv_proj.bias") as tf.Tensor1D,
      ).reshape([b, side * side, d]);
      // A broadcast rather than tf.tile: the gradient of tile is two kernels per image, that of mul one sum.
      const cls = tf.mul(tf.ones([b, 1, 1]), P.get("class_token"));
      let x = tf.add(tf.concat([cls, tokens], 1), this.positionEmbedding(side)) as tf.Tensor3D;
      if (opts.keep) x = gatherTokens(x, opts.keep);
      for (let i = 0; i < layers; i++) {
        const weights = layerParamNames(i).map((n) => P.get(n)) as unknown as BlockWeights;
        const input = x;
        // A tidy per block frees its temporaries at once (the gradient tape keeps what backward reads).
        x = tf.tidy(() =>
          transformerBlock(input, weights, { heads, eps: LN_EPS, clsOnly: clsOnly && i === layers - 1 }),
        );
      }
      // LayerNorm is per token.
      return layerNorm(x, P.get("encoder.ln.weight") as tf.Tensor1D, P.get("encoder.ln.bias") as tf.Tensor1D, LN_EPS);
    });
  }

  /** [B, H, W, C] -> [B, dim], no gradient; the caller disposes the result. */
  embed(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.forward(images));
  }

  /** Digest of the configuration and weights (embedding caches are keyed by it). */
  fingerprint(): string {
    return `vit-${this.config.dim}x${this.config.layers}h${this.config.heads}p${this.config.patch}-${this.params.fingerprint()}`;
  }

  /** Position embedding [1, 1 + side², D] for a grid of side x side patches. */
  positionEmbedding(side: number): tf.Tensor3D {
    const pos = this.params.get("encoder.pos_embedding") as tf.Tensor3D;
    const n0 = pos.shape[1] - 1;
    if (side * side === n0) return pos;
    const d = this.config.dim;
    const side0 = Math.round(Math.sqrt(n0));
    let k = this.posResample.get(side);
    if (!k) {
      // lightly passes scale_factor = sqrt(npatch / N) to F.interpolate, which PyTorch also uses for the coordinates.
      k = tf.keep(tf.tensor2d(bicubicGridMatrix(side0, side, Math.sqrt((side * side) / n0)), [side * side, n0]));
      this.posResample.set(side, k);
    }
    const grid = tf.matMul(k, pos.slice([0, 1, 0], [1, n0, d]).reshape([n0, d]));
    return tf.concat([pos.slice([0, 0, 0], [1, 1, d]), grid.reshape([1, side * side, d])], 1) as tf.Tensor3D;
  }

  dispose(): void {
    this.params.dispose();
    for (const k of this.posResample.values()) k.dispose();
    this.posResample.clear();
  }
}

/** Gathers tokens of each sequence: x [B, T, D], keep [B, K] (indices into T) -> [B, K, D]. */
export function gatherTokens(x: tf.Tensor3D, keep: tf.Tensor2D): tf.Tensor3D {
  const [b, t, d] = x.shape;
  const [kb, kk] = keep.shape;
  if (kb !== b) throw new InputError({ field: "keep", expected: `${b} rows (one per image)`, found: `${kb}` });
  // A gather on the flattened batch (batchDims 0): its gradient is supported on every backend.
  const flat = tf.add(keep.toInt(), tf.range(0, b * t, t, "int32").expandDims(1));
  return tf.gather(x.reshape([b * t, d]), flat.reshape([b * kk])).reshape([b, kk, d]) as tf.Tensor3D;
}

/** `model.vit({ size: "tiny", heads?, imageSize = 224, patch = 16, channels = 3, seed })`. */
export function vit(opts: VitOptions = {}): VisionTransformer {
  return new VisionTransformer(opts);
}
