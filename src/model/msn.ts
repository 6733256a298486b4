/**
 * The EHR-augmented Masked Siamese Network of CXR-EHR-MSN (`CxrEhrMSN`): a target ViT and projection
 * head (EMA of the anchor side, no gradient), an anchor ViT and head, frozen or trainable prototypes,
 * and the EHR fusion before the anchor head (model/fusion.ts).
 * Parameter names are those of the authors' LightningModule state dict.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";
import { checkInt } from "../util/validate";
import { EhrFusion } from "./fusion";
import { ProjectionHead } from "./heads";
import { init } from "./layers";
import { MsnLossOptions, msnLoss, targetProbabilities } from "./loss";
import { Params, TensorValues } from "./params";
import { loadModulesState, modulesState, PrefixedParams, prefixedParams } from "./modules";
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

/** One module's parameters under its state-dict prefix, and whether the optimizer trains them. */
interface ModuleParams extends PrefixedParams {
  trained: boolean;
}

export class MsnModel {
  /** Target (EMA) encoder: the one used downstream. */
  readonly target: VisionTransformer;
  readonly targetHead: ProjectionHead;
  readonly anchor: VisionTransformer;
  readonly anchorHead: ProjectionHead;
  /** The prototypes [K, out] (frozen by default, as the authors). */
  readonly prototypeParams: Params;
  /** The EHR encoder and fusion projection on the anchor side; absent for vanilla MSN. */
  readonly fusion?: EhrFusion;
  readonly ehrIn: number;

  constructor(readonly options: MsnModelOptions = {}) {
    const seed = options.seed ?? 0;
    const rng = new Rng(seed);
    const k = checkInt(options.numPrototypes ?? 1024, "numPrototypes", { min: 1 });
    const ehrIn = (this.ehrIn = checkInt(options.ehrIn ?? 0, "ehrIn", { min: 0 }));
    const ehrDim = checkInt(options.ehrDim ?? 128, "ehrDim", { min: 1 });
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
    this.prototypeParams = new Params("msn");
    this.prototypeParams.add(
      "prototypes",
      [k, headOpts.outDim],
      init.linearDefault(k * headOpts.outDim, headOpts.outDim, rng.fork("prototypes")),
    );
    if (ehrIn > 0) this.fusion = new EhrFusion({ dim: d, ehrIn, ehrDim, seed }, "msn");
  }

  get prototypes(): tf.Variable {
    return this.prototypeParams.get("prototypes");
  }

  /**
   * Every module in state-dict order. The target side is frozen by being left out of training (its
   * variables stay trainable, so the exported target encoder can be fine-tuned as it is).
   */
  private modules(trainPrototypes = false): ModuleParams[] {
    return [
      { prefix: "backbone.", params: this.target.params, trained: false },
      { prefix: "projection_head.", params: this.targetHead.params, trained: false },
      { prefix: "anchor_backbone.", params: this.anchor.params, trained: true },
      { prefix: "anchor_projection_head.", params: this.anchorHead.params, trained: true },
      { prefix: "", params: this.prototypeParams, trained: trainPrototypes },
      ...(this.fusion ? [{ prefix: "", params: this.fusion.params, trained: true }] : []),
    ];
  }

  /** Every parameter with its state-dict name, in a fixed order. */
  namedParams(): [string, tf.Variable][] {
    return prefixedParams(this.modules());
  }

  /** Current values of every parameter under its state-dict name (what checkpoints store). */
  state(): TensorValues {
    return modulesState(this.modules());
  }

  /**
   * Sets every parameter from `values` (state-dict names, e.g. a checkpoint or a converted Lightning
   * state dict); each must be present with its shape. Other tensors in `values` are ignored.
   */
  loadState(values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, source: string): void {
    loadModulesState(this.modules(), values, source);
  }

  /** The parameters the optimizer trains: anchor encoder and head, EHR fusion, and the prototypes if asked. */
  trainableParams(prototypes: boolean): [string, tf.Variable][] {
    return prefixedParams(this.modules(prototypes).filter((m) => m.trained));
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
      const a = this.anchorEmbeddings(x);
      return this.anchorHead.forward(this.fusion ? this.fusion.forward(a, x.ehr, x.anchor.shape[0]) : a);
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
    for (const m of [this.target, this.targetHead, this.anchor, this.anchorHead, this.prototypeParams]) m.dispose();
    this.fusion?.dispose();
  }
}
