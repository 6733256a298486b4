/**
 * MAE's lightweight decoder (facebookresearch/mae `models_mae.py`): the encoder's tokens embedded to
 * the decoder's width, a shared learned mask token in every masked place, the fixed 2-D sine-cosine
 * position embedding, pre-norm transformer blocks (the ViT's block), a LayerNorm and a Linear to the
 * pixels of each patch. MAE's own defaults are 512 wide, 8 blocks of 16 heads, for every encoder size;
 * docs/method-reference.md says how ehr-msn scales them for ViT-Tiny and ViT-Small.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";
import { Rng } from "../util/random";
import { checkInt } from "../util/validate";
import { BlockWeights, transformerBlock } from "./block";
import { init, layerNorm, linear } from "./layers";
import { Params } from "./params";
import { gatherTokens, layerParamNames } from "./vit";

export interface MaeDecoderOptions {
  /** Width of the encoder's tokens. */
  inDim: number;
  /** Patches per side of the image grid (L = side²). */
  side: number;
  /** Values predicted per patch (patch² · channels). */
  outDim: number;
  /** Decoder width (default 256), blocks (4), heads (8) and MLP width (4 · width). */
  dim?: number;
  layers?: number;
  heads?: number;
  mlpDim?: number;
  seed?: number;
}

const LN_EPS = 1e-6;

/** The state-dict names of decoder block `i` (torchvision's block layout under `layers.i.`). */
function blockNames(i: number): string[] {
  return layerParamNames(i).map((n) => `layers.${i}.` + n.slice(`encoder.layers.encoder_layer_${i}.`.length));
}

/**
 * MAE's `get_2d_sincos_pos_embed(dim, side, cls_token=True)`: [1 + side², dim], zeros for the class
 * token; the first half of each row encodes the patch's column, the second its row (MAE's meshgrid order).
 */
export function sinCosPositionEmbedding(dim: number, side: number): Float32Array {
  if (dim % 4 !== 0)
    throw new InputError({
      field: "maeDecoderDim",
      expected: "a multiple of 4 (sine-cosine position embedding)",
      found: String(dim),
    });
  const quarter = dim / 4;
  const out = new Float32Array((1 + side * side) * dim);
  const encode = (row: Float32Array, offset: number, pos: number) => {
    for (let k = 0; k < quarter; k++) {
      const angle = pos / Math.pow(10000, k / quarter);
      row[offset + k] = Math.sin(angle);
      row[offset + quarter + k] = Math.cos(angle);
    }
  };
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const row = out.subarray((1 + r * side + c) * dim, (2 + r * side + c) * dim);
      encode(row, 0, c);
      encode(row, dim / 2, r);
    }
  }
  return out;
}

export class MaeDecoder {
  readonly params: Params;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  /** The fixed position embedding [1, 1 + L, dim] (not trained, not stored: it follows from the shape). */
  private readonly pos: tf.Tensor3D;

  constructor(
    readonly options: MaeDecoderOptions,
    scope = "mae.decoder",
  ) {
    const { inDim, side, outDim } = options;
    this.dim = options.dim ?? 256;
    this.layers = options.layers ?? 4;
    this.heads = options.heads ?? 8;
    const m = options.mlpDim ?? 4 * this.dim;
    for (const [k, v] of Object.entries({
      inDim,
      side,
      outDim,
      maeDecoderDim: this.dim,
      maeDecoderLayers: this.layers,
      maeDecoderHeads: this.heads,
      mlpDim: m,
    }))
      checkInt(v, k, { min: 1 });
    if (this.dim % this.heads !== 0)
      throw new InputError({
        field: "maeDecoderHeads",
        expected: `a divisor of the decoder width ${this.dim}`,
        found: String(this.heads),
      });
    const d = this.dim;
    const rng = new Rng(options.seed ?? 0);
    const r = (name: string) => rng.fork(name);
    // MAE's initialize_weights: xavier-uniform Linear weights, zero biases, unit LayerNorms, mask token N(0, 0.02).
    const P = (this.params = new Params(scope));
    P.add("decoder_embed.weight", [d, inDim], init.xavierUniform(d, inDim, r("decoder_embed.weight")));
    P.add("decoder_embed.bias", [d], init.zeros(d));
    P.add("mask_token", [1, 1, d], init.normal(d, 0.02, r("mask_token")));
    for (let i = 0; i < this.layers; i++) {
      const [ln1w, ln1b, inW, inB, outW, outB, ln2w, ln2b, w1, b1, w2, b2] = blockNames(i);
      P.add(ln1w, [d], init.ones(d));
      P.add(ln1b, [d], init.zeros(d));
      P.add(inW, [3 * d, d], init.xavierUniform(3 * d, d, r(inW)));
      P.add(inB, [3 * d], init.zeros(3 * d));
      P.add(outW, [d, d], init.xavierUniform(d, d, r(outW)));
      P.add(outB, [d], init.zeros(d));
      P.add(ln2w, [d], init.ones(d));
      P.add(ln2b, [d], init.zeros(d));
      P.add(w1, [m, d], init.xavierUniform(m, d, r(w1)));
      P.add(b1, [m], init.zeros(m));
      P.add(w2, [d, m], init.xavierUniform(d, m, r(w2)));
      P.add(b2, [d], init.zeros(d));
    }
    P.add("decoder_norm.weight", [d], init.ones(d));
    P.add("decoder_norm.bias", [d], init.zeros(d));
    P.add("decoder_pred.weight", [outDim, d], init.xavierUniform(outDim, d, r("decoder_pred.weight")));
    P.add("decoder_pred.bias", [outDim], init.zeros(outDim));
    this.pos = tf.keep(tf.tensor3d(sinCosPositionEmbedding(d, side), [1, 1 + side * side, d]));
  }

  /**
   * The predicted pixels of every patch [B, L, outDim] from the encoder's tokens [B, 1 + K, inDim]
   * (class token first) and `restore` [B, 1 + L] (maeMasking.ts); differentiable.
   */
  forward(encoded: tf.Tensor3D, restore: tf.Tensor2D): tf.Tensor3D {
    const [b, t, inDim] = encoded.shape;
    const d = this.dim;
    const tokens = this.pos.shape[1];
    if (restore.shape[0] !== b || restore.shape[1] !== tokens || t > tokens)
      throw new InputError({
        field: "restore",
        expected: `[${b}, ${tokens}] for ${t} encoded tokens`,
        found: `shape [${restore.shape}]`,
      });
    return tf.tidy(() => {
      const P = this.params;
      const embedded = linear(
        encoded.reshape([b * t, inDim]) as tf.Tensor2D,
        P.get("decoder_embed.weight") as tf.Tensor2D,
        P.get("decoder_embed.bias") as tf.Tensor1D,
      ).reshape([b, t, d]);
      const maskTokens = tf.mul(tf.ones([b, tokens - t, 1]), P.get("mask_token"));
      let x = tf.add(
        gatherTokens(tf.concat([embedded, maskTokens], 1) as tf.Tensor3D, restore),
        this.pos,
      ) as tf.Tensor3D;
      for (let i = 0; i < this.layers; i++) {
        const weights = blockNames(i).map((n) => P.get(n)) as unknown as BlockWeights;
        const input = x;
        x = tf.tidy(() => transformerBlock(input, weights, { heads: this.heads, eps: LN_EPS, clsOnly: false }));
      }
      const normed = layerNorm(
        x,
        P.get("decoder_norm.weight") as tf.Tensor1D,
        P.get("decoder_norm.bias") as tf.Tensor1D,
        LN_EPS,
      );
      const patches = normed.slice([0, 1, 0], [b, tokens - 1, d]).reshape([b * (tokens - 1), d]) as tf.Tensor2D;
      const out = this.options.outDim;
      return linear(
        patches,
        P.get("decoder_pred.weight") as tf.Tensor2D,
        P.get("decoder_pred.bias") as tf.Tensor1D,
      ).reshape([b, tokens - 1, out]) as tf.Tensor3D;
    });
  }

  dispose(): void {
    this.params.dispose();
    this.pos.dispose();
  }
}
