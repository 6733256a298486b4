/**
 * The MSN projection head (lightly `MSNProjectionHead(input, hidden, output)`), with lightly's
 * state-dict names: Linear (no bias) → BatchNorm1d → GELU → Linear (no bias) → BatchNorm1d → GELU →
 * Linear (with bias). The batch norms always use batch statistics, as during pretraining.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";
import { batchNorm, gelu, init, linear } from "./layers";
import { Params } from "./params";

export interface ProjectionHeadOptions {
  inDim: number;
  hiddenDim: number;
  outDim: number;
  /**
   * Biases on the two hidden Linear layers: false as lightly (a bias before a batch norm is
   * redundant), true as the original MSN head.
   */
  hiddenBias?: boolean;
  seed?: number;
}

export class ProjectionHead {
  readonly params: Params;

  constructor(
    readonly options: ProjectionHeadOptions,
    scope = "head",
  ) {
    const { inDim, hiddenDim: h, outDim, hiddenBias = false } = options;
    const rng = new Rng(options.seed ?? 0);
    const P = (this.params = new Params(scope));
    const lin = (name: string, out: number, inp: number, bias: boolean) => {
      P.add(`${name}.weight`, [out, inp], init.linearDefault(out * inp, inp, rng.fork(`${name}.weight`)));
      if (bias) P.add(`${name}.bias`, [out], init.linearDefault(out, inp, rng.fork(`${name}.bias`)));
    };
    const bn = (name: string) => {
      P.add(`${name}.weight`, [h], init.ones(h));
      P.add(`${name}.bias`, [h], init.zeros(h));
    };
    lin("layers.0", h, inDim, hiddenBias);
    bn("layers.1");
    lin("layers.3", h, h, hiddenBias);
    bn("layers.4");
    lin("layers.6", outDim, h, true);
  }

  /** [N, inDim] -> [N, outDim]; the batch statistics are over the N rows. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const g = (n: string) => this.params.get(n) as tf.Tensor;
      const bias = (n: string) => (this.options.hiddenBias ? (g(n) as tf.Tensor1D) : undefined);
      let h = linear(x, g("layers.0.weight") as tf.Tensor2D, bias("layers.0.bias"));
      h = gelu(batchNorm(h, g("layers.1.weight") as tf.Tensor1D, g("layers.1.bias") as tf.Tensor1D));
      h = linear(h, g("layers.3.weight") as tf.Tensor2D, bias("layers.3.bias"));
      h = gelu(batchNorm(h, g("layers.4.weight") as tf.Tensor1D, g("layers.4.bias") as tf.Tensor1D));
      return linear(h, g("layers.6.weight") as tf.Tensor2D, g("layers.6.bias") as tf.Tensor1D);
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}
