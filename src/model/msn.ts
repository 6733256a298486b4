/**
 * The EHR-augmented Masked Siamese Network of CXR-EHR-MSN (`CxrEhrMSN`): a target ViT and projection
 * head (EMA of the anchor side, no gradient), an anchor ViT and head, frozen or trainable prototypes,
 * and the EHR fusion (f_ehr: Linear(ehr_in → 128), g: Linear(D + 128 → D) before the anchor head).
 * Parameter names are those of the authors' LightningModule state dict.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";
import { Rng } from "../util/random";
import { ProjectionHead } from "./heads";
import { init, linear } from "./layers";
import { MsnLossOptions, msnLoss, targetProbabilities } from "./loss";
import { Params } from "./params";
import { VisionTransformer, VitOptions } from "./vit";

export interface MsnModelOptions {
  /** The encoder (size, heads, imageSize, patch, channels); its seed is the model's. */
  vit?: VitOptions;
  /** Number of prototypes K (default 1024). */
  numPrototypes?: number;
  /** Projection head hidden size (default 4·D) and output size (default D), as the authors. */
  projHidden?: number;
  projOut?: number;
  /** Biases on the head's hidden Linear layers (default false, as lightly; the original MSN has them). */
  projHiddenBias?: boolean;
  /** Width of the EHR vector; 0 (default) is vanilla MSN without fusion. */
  ehrIn?: number;
  /** Width of the EHR embedding f_ehr (default 128). */
  ehrDim?: number;
  /** Seed of every initial weight (default 0). */
  seed?: number;
}

/** One pretraining batch on the anchor side. */
export interface AnchorInputs {
  /** The random anchor views [B, S, S, C] (224 px). */
  anchor: tf.Tensor4D;
  /** The focal views [V·B, s, s, C] (96 px), view-major; may be absent (no focal views). */
  focal?: tf.Tensor4D;
  /** Kept tokens of the anchor and focal views ([B, K] and [V·B, k] int32), or none for no masking. */
  anchorKeep?: tf.Tensor2D;
  focalKeep?: tf.Tensor2D;
  /** EHR vectors [B, ehrIn] when the model fuses EHR. */
  ehr?: tf.Tensor2D;
}

export class MsnModel {
  /** Target (EMA) encoder: the one used downstream. */
  readonly target: VisionTransformer;
  readonly targetHead: ProjectionHead;
  readonly anchor: VisionTransformer;
  readonly anchorHead: ProjectionHead;
  /** prototypes [K, D], f_ehr and ehr_cxr_project_g (when EHR is fused). */
  readonly extra: Params;
  readonly ehrIn: number;

  constructor(readonly options: MsnModelOptions = {}) {
    const seed = options.seed ?? 0;
    const rng = new Rng(seed);
    this.target = new VisionTransformer({ ...options.vit, seed }, "backbone");
    const d = this.target.dim;
    const headOpts = {
      inDim: d,
      hiddenDim: options.projHidden ?? 4 * d,
      outDim: options.projOut ?? d,
      hiddenBias: options.projHiddenBias ?? false,
      seed: rng.fork("head").nextUint32(),
    };
    this.targetHead = new ProjectionHead(headOpts, "projection_head");
    // The authors deep-copy the target modules: both sides start equal.
    this.anchor = new VisionTransformer({ ...options.vit, seed }, "anchor_backbone");
    this.anchorHead = new ProjectionHead(headOpts, "anchor_projection_head");
    const k = options.numPrototypes ?? 1024;
    const ehrIn = (this.ehrIn = options.ehrIn ?? 0);
    for (const [field, v] of [
      ["numPrototypes", k],
      ["ehrIn", ehrIn],
      ["ehrDim", options.ehrDim ?? 128],
    ] as const) {
      if (!Number.isInteger(v) || v < (field === "ehrIn" ? 0 : 1))
        throw new InputError({
          field,
          expected: field === "ehrIn" ? "a non-negative integer" : "a positive integer",
          found: String(v),
        });
    }
    const P = (this.extra = new Params("msn"));
    P.add(
      "prototypes",
      [k, headOpts.outDim],
      init.linearDefault(k * headOpts.outDim, headOpts.outDim, rng.fork("prototypes")),
    );
    if (ehrIn > 0) {
      const e = options.ehrDim ?? 128;
      P.add("f_ehr.weight", [e, ehrIn], init.linearDefault(e * ehrIn, ehrIn, rng.fork("f_ehr.weight")));
      P.add("f_ehr.bias", [e], init.linearDefault(e, ehrIn, rng.fork("f_ehr.bias")));
      P.add("ehr_cxr_project_g.weight", [d, d + e], init.linearDefault(d * (d + e), d + e, rng.fork("g.weight")));
      P.add("ehr_cxr_project_g.bias", [d], init.linearDefault(d, d + e, rng.fork("g.bias")));
    }
  }

  get prototypes(): tf.Variable {
    return this.extra.get("prototypes");
  }

  /** Every parameter with its state-dict name, in a fixed order. */
  namedParams(): [string, tf.Variable][] {
    const withPrefix = (prefix: string, p: Params) =>
      p.entries().map(([n, v]) => [prefix + n, v] as [string, tf.Variable]);
    return [
      ...withPrefix("backbone.", this.target.params),
      ...withPrefix("projection_head.", this.targetHead.params),
      ...withPrefix("anchor_backbone.", this.anchor.params),
      ...withPrefix("anchor_projection_head.", this.anchorHead.params),
      ...withPrefix("", this.extra),
    ];
  }

  /** Current values of every parameter under its state-dict name (what checkpoints store). */
  state(): Map<string, { shape: number[]; data: Float32Array }> {
    return new Map(
      this.namedParams().map(([n, v]) => [n, { shape: v.shape.slice(), data: v.dataSync() as Float32Array }]),
    );
  }

  /**
   * Sets every parameter from `values` (state-dict names, e.g. a checkpoint or a converted Lightning
   * state dict); each must be present with its shape. Other tensors in `values` are ignored.
   */
  loadState(values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, source: string): void {
    const modules: [string, Params][] = [
      ["backbone.", this.target.params],
      ["projection_head.", this.targetHead.params],
      ["anchor_backbone.", this.anchor.params],
      ["anchor_projection_head.", this.anchorHead.params],
      ["", this.extra],
    ];
    for (const [prefix, p] of modules) p.check(values, source, prefix);
    for (const [prefix, p] of modules) p.load(values, source, prefix);
  }

  /**
   * The parameters the optimizer trains: anchor encoder and head, EHR fusion, and the prototypes if
   * asked. The target side is frozen by being left out here (its variables stay trainable, so the
   * exported target encoder can be fine-tuned as it is).
   */
  trainableParams(prototypes: boolean): [string, tf.Variable][] {
    return this.namedParams().filter(
      ([n]) =>
        n.startsWith("anchor_") ||
        n.startsWith("f_ehr.") ||
        n.startsWith("ehr_cxr_project_g.") ||
        (prototypes && n === "prototypes"),
    );
  }

  /**
   * EMA of the anchor side into the target side (backbone and projection head, lightly's
   * `update_momentum` over parameters): target ← m·target + (1 − m)·anchor.
   */
  emaUpdate(momentum: number): void {
    tf.tidy(() => {
      for (const [t, a] of [
        [this.target.params, this.anchor.params],
        [this.targetHead.params, this.anchorHead.params],
      ] as const) {
        for (const [name, v] of t.entries()) v.assign(tf.add(tf.mul(v, momentum), tf.mul(a.get(name), 1 - momentum)));
      }
    });
  }

  /** Target branch: z⁺ = h⁺(ViT_target(views)), unmasked, [B, out]. */
  targetOutputs(views: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.targetHead.forward(this.target.forward(views)));
  }

  /** Anchor class tokens [(1 + V)·B, D]: the masked anchor views, then the masked focal views. */
  anchorEmbeddings(x: AnchorInputs): tf.Tensor2D {
    return tf.tidy(() => {
      const a = this.anchor.forward(x.anchor, { keep: x.anchorKeep });
      return x.focal ? tf.concat([a, this.anchor.forward(x.focal, { keep: x.focalKeep })], 0) : a;
    });
  }

  /** Anchor branch: z = h(g([a ‖ f_ehr(ehr)])) (or h(a) without EHR), [(1 + V)·B, out]. Differentiable. */
  anchorOutputs(x: AnchorInputs): tf.Tensor2D {
    return tf.tidy(() => {
      let a = this.anchorEmbeddings(x);
      if (this.ehrIn > 0) {
        const b = x.anchor.shape[0];
        if (!x.ehr || x.ehr.shape[0] !== b || x.ehr.shape[1] !== this.ehrIn) {
          throw new InputError({
            field: "ehr",
            expected: `an EHR tensor [${b}, ${this.ehrIn}]`,
            found: x.ehr ? `[${x.ehr.shape}]` : "none",
          });
        }
        const g = (n: string) => this.extra.get(n) as tf.Tensor;
        // Tiled view-major, matching the anchor order [anchor (B); focal view 1 (B); ...].
        const v = tf.tile(linear(x.ehr, g("f_ehr.weight") as tf.Tensor2D, g("f_ehr.bias") as tf.Tensor1D), [
          a.shape[0] / b,
          1,
        ]);
        a = linear(
          tf.concat([a, v], 1),
          g("ehr_cxr_project_g.weight") as tf.Tensor2D,
          g("ehr_cxr_project_g.bias") as tf.Tensor1D,
        );
      }
      return this.anchorHead.forward(a);
    });
  }

  /** Sharpened, Sinkhorn-balanced target assignments [B, K] of the target views (no gradient). */
  targetProbabilities(targetViews: tf.Tensor4D, lossOptions: MsnLossOptions = {}): tf.Tensor2D {
    return tf.tidy(() =>
      targetProbabilities(this.targetOutputs(targetViews), this.prototypes as tf.Tensor2D, lossOptions),
    );
  }

  /** The MSN loss of the anchor side against precomputed target assignments; differentiable. */
  anchorLoss(x: AnchorInputs, targetProbs: tf.Tensor2D, lossOptions: MsnLossOptions = {}): tf.Scalar {
    return tf.tidy(() =>
      msnLoss(this.anchorOutputs(x), { probabilities: targetProbs }, this.prototypes as tf.Tensor2D, lossOptions),
    );
  }

  /** The MSN loss of one batch; differentiable with respect to the anchor side (and the prototypes). */
  loss(targetViews: tf.Tensor4D, x: AnchorInputs, lossOptions: MsnLossOptions = {}): tf.Scalar {
    return tf.tidy(() => this.anchorLoss(x, this.targetProbabilities(targetViews, lossOptions), lossOptions));
  }

  dispose(): void {
    for (const m of [this.target, this.targetHead, this.anchor, this.anchorHead, this.extra]) m.dispose();
  }
}
