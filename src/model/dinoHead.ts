/**
 * The DINO projection head (facebookresearch/dino `DINOHead(in, out, nlayers=3, use_bn=False,
 * norm_last_layer=True)`), with its state-dict names: Linear → GELU → Linear → GELU → Linear to the
 * bottleneck, L2 normalisation, and a weight-normed Linear without bias whose per-row scale `weight_g`
 * stays 1 (frozen), so the last layer's rows are unit vectors `weight_v / ‖weight_v‖`.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";
import { checkInt } from "../util/validate";
import { gelu, init, linear } from "./layers";
import { l2Normalize } from "./loss";
import { Params } from "./params";

export interface DinoHeadOptions {
  inDim: number;
  /** Output width K (65,536 in DINO). */
  outDim: number;
  /** Hidden width of the MLP (2,048 in DINO). */
  hiddenDim?: number;
  /** Bottleneck width before the last layer (256 in DINO). */
  bottleneckDim?: number;
  seed?: number;
}

export class DinoHead {
  readonly params: Params;

  constructor(
    readonly options: DinoHeadOptions,
    scope = "head",
  ) {
    const inDim = checkInt(options.inDim, "inDim", { min: 1 });
    const out = checkInt(options.outDim, "outDim", { min: 1 });
    const h = checkInt(options.hiddenDim ?? 2048, "hiddenDim", { min: 1 });
    const b = checkInt(options.bottleneckDim ?? 256, "bottleneckDim", { min: 1 });
    const rng = new Rng(options.seed ?? 0);
    const P = (this.params = new Params(scope));
    const lin = (name: string, o: number, i: number) => {
      P.add(`${name}.weight`, [o, i], init.truncNormal(o * i, 0.02, rng.fork(`${name}.weight`)));
      P.add(`${name}.bias`, [o], init.zeros(o));
    };
    lin("mlp.0", h, inDim);
    lin("mlp.2", h, h);
    lin("mlp.4", b, h);
    P.add("last_layer.weight_g", [out, 1], init.ones(out));
    P.add("last_layer.weight_v", [out, b], init.linearDefault(out * b, b, rng.fork("last_layer.weight_v")));
  }

  /** The parameters the optimizer trains: all but the frozen scale of the last layer. */
  trainable(): [string, tf.Variable][] {
    return this.params.entries().filter(([n]) => n !== "last_layer.weight_g");
  }

  /** [N, inDim] -> [N, outDim]. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const g = (n: string) => this.params.get(n) as tf.Tensor;
      let h = gelu(linear(x, g("mlp.0.weight") as tf.Tensor2D, g("mlp.0.bias") as tf.Tensor1D));
      h = gelu(linear(h, g("mlp.2.weight") as tf.Tensor2D, g("mlp.2.bias") as tf.Tensor1D));
      h = l2Normalize(linear(h, g("mlp.4.weight") as tf.Tensor2D, g("mlp.4.bias") as tf.Tensor1D));
      const v = g("last_layer.weight_v");
      const w = tf.mul(g("last_layer.weight_g"), tf.div(v, tf.norm(v, 2, 1, true))) as tf.Tensor2D;
      return linear(h, w);
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}
