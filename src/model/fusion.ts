/**
 * The paper's one architectural addition (CXR-EHR-MSN, §3): the EHR encoder f_ehr, Linear(ehr_in → 128),
 * and the fusion projection g, Linear(D + 128 → D), applied on the anchor side between the encoder and
 * the projection head: z = h(g([a ‖ f_ehr(ehr)])). Parameter names are the authors' state-dict names
 * (`f_ehr.*`, `ehr_cxr_project_g.*`), so checkpoints and converted Lightning weights load unchanged.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";
import { Rng } from "../util/random";
import { checkInt } from "../util/validate";
import { init, linear } from "./layers";
import { Params } from "./params";

export interface EhrFusionOptions {
  /** Width of the image embedding a (the encoder's D). */
  dim: number;
  /** Width of the EHR vector (at least 1). */
  ehrIn: number;
  /** Width of the EHR embedding f_ehr (default 128, as the authors). */
  ehrDim?: number;
  seed?: number;
}

export class EhrFusion {
  readonly params: Params;
  readonly ehrIn: number;
  readonly ehrDim: number;

  constructor(
    readonly options: EhrFusionOptions,
    scope = "fusion",
  ) {
    const d = checkInt(options.dim, "dim", { min: 1 });
    const ehrIn = (this.ehrIn = checkInt(options.ehrIn, "ehrIn", { min: 1 }));
    const e = (this.ehrDim = checkInt(options.ehrDim ?? 128, "ehrDim", { min: 1 }));
    const rng = new Rng(options.seed ?? 0);
    const P = (this.params = new Params(scope));
    P.add("f_ehr.weight", [e, ehrIn], init.linearDefault(e * ehrIn, ehrIn, rng.fork("f_ehr.weight")));
    P.add("f_ehr.bias", [e], init.linearDefault(e, ehrIn, rng.fork("f_ehr.bias")));
    P.add("ehr_cxr_project_g.weight", [d, d + e], init.linearDefault(d * (d + e), d + e, rng.fork("g.weight")));
    P.add("ehr_cxr_project_g.bias", [d], init.linearDefault(d, d + e, rng.fork("g.bias")));
  }

  /**
   * g([a ‖ f_ehr(ehr)]) for the class tokens `a` [(1 + V)·B, D] of B images and their EHR vectors
   * [B, ehrIn]; each image's EHR embedding is tiled over its views, view-major as the anchors are
   * ordered ([anchor (B); focal view 1 (B); ...]). Differentiable.
   */
  forward(a: tf.Tensor2D, ehr: tf.Tensor2D | undefined, batchSize: number): tf.Tensor2D {
    if (!ehr || ehr.shape[0] !== batchSize || ehr.shape[1] !== this.ehrIn) {
      throw new InputError({
        field: "ehr",
        expected: `an EHR tensor [${batchSize}, ${this.ehrIn}]`,
        found: ehr ? `[${ehr.shape}]` : "none",
      });
    }
    return tf.tidy(() => {
      const g = (n: string) => this.params.get(n) as tf.Tensor;
      const v = linear(ehr, g("f_ehr.weight") as tf.Tensor2D, g("f_ehr.bias") as tf.Tensor1D);
      const tiled = tf.tile(v, [a.shape[0] / batchSize, 1]);
      return linear(
        tf.concat([a, tiled], 1),
        g("ehr_cxr_project_g.weight") as tf.Tensor2D,
        g("ehr_cxr_project_g.bias") as tf.Tensor1D,
      );
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}
