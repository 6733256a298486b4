/**
 * DINO (Caron et al. 2021), a baseline of the paper's Table 3: a student ViT and DINO head trained to
 * match a teacher (the EMA of the student) across views. Parameter names are those of DINO's
 * checkpoints (`student.backbone.*`, `student.head.*`, `teacher.*`) and its `center` buffer, which a
 * checkpoint stores like a parameter (it is state of the run).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/random";
import { DinoHead } from "./dinoHead";
import { dinoCenter, dinoLoss, DinoLossOptions } from "./dinoLoss";
import { init } from "./layers";
import { Params, TensorValues } from "./params";
import { loadModulesState, modulesState, PrefixedParams, prefixedParams } from "./modules";
import { VisionTransformer, VitOptions } from "./vit";

export interface DinoModelOptions {
  /** The encoder (size, heads, imageSize, patch, channels); its seed is the model's. */
  vit?: VitOptions;
  /** DINO head output width (default 65,536), hidden width (2,048) and bottleneck (256), as DINO. */
  outDim?: number;
  hiddenDim?: number;
  bottleneckDim?: number;
  seed?: number;
}

/** The views of one batch: the two global views [B, S, S, C] each and the local views [V·B, s, s, C], view-major. */
export interface DinoViews {
  global1: tf.Tensor4D;
  global2: tf.Tensor4D;
  local?: tf.Tensor4D;
}

/** One module's parameters under its state-dict prefix, and the ones the optimizer trains. */
interface ModuleParams extends PrefixedParams {
  trained: [string, tf.Variable][];
}

export class DinoModel {
  readonly student: VisionTransformer;
  readonly studentHead: DinoHead;
  /** The teacher encoder: the one used downstream (DINO evaluates the teacher). */
  readonly teacher: VisionTransformer;
  readonly teacherHead: DinoHead;
  /** The centre of the teacher's outputs [1, K] (a buffer: never trained, updated by EMA). */
  readonly centerParams: Params;

  constructor(readonly options: DinoModelOptions = {}) {
    const seed = options.seed ?? 0;
    const rng = new Rng(seed);
    this.student = new VisionTransformer({ ...options.vit, seed }, "student.backbone");
    const headOpts = {
      inDim: this.student.dim,
      outDim: options.outDim ?? 65536,
      hiddenDim: options.hiddenDim,
      bottleneckDim: options.bottleneckDim,
      seed: rng.fork("head").nextUint32(),
    };
    this.studentHead = new DinoHead(headOpts, "student.head");
    // DINO loads the student's weights into the teacher: both sides start equal.
    this.teacher = new VisionTransformer({ ...options.vit, seed }, "teacher.backbone");
    this.teacherHead = new DinoHead(headOpts, "teacher.head");
    this.centerParams = new Params("dino");
    this.centerParams.add("center", [1, headOpts.outDim], init.zeros(headOpts.outDim), false);
  }

  get center(): tf.Variable {
    return this.centerParams.get("center");
  }

  /** Every module in state-dict order, with the parameters the optimizer trains (the student's, but the frozen scale). */
  private modules(): ModuleParams[] {
    return [
      { prefix: "student.backbone.", params: this.student.params, trained: this.student.params.entries() },
      { prefix: "student.head.", params: this.studentHead.params, trained: this.studentHead.trainable() },
      { prefix: "teacher.backbone.", params: this.teacher.params, trained: [] },
      { prefix: "teacher.head.", params: this.teacherHead.params, trained: [] },
      { prefix: "", params: this.centerParams, trained: [] },
    ];
  }

  /** Every parameter (and the centre) with its state-dict name, in a fixed order. */
  namedParams(): [string, tf.Variable][] {
    return prefixedParams(this.modules());
  }

  trainableParams(): [string, tf.Variable][] {
    return this.modules().flatMap(({ prefix, trained }) =>
      trained.map(([n, v]) => [prefix + n, v] as [string, tf.Variable]),
    );
  }

  state(): TensorValues {
    return modulesState(this.modules());
  }

  /** Sets every parameter and the centre from `values` (state-dict names); each must be present with its shape. */
  loadState(values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, source: string): void {
    loadModulesState(this.modules(), values, source);
  }

  /** Teacher ← m·teacher + (1 − m)·student, backbone and head (DINO's momentum update). */
  emaUpdate(momentum: number): void {
    tf.tidy(() => {
      for (const [t, s] of [
        [this.teacher.params, this.student.params],
        [this.teacherHead.params, this.studentHead.params],
      ] as const) {
        for (const [name, v] of t.entries()) v.assign(tf.add(tf.mul(v, momentum), tf.mul(s.get(name), 1 - momentum)));
      }
    });
  }

  /** The teacher's outputs of the two global views [2·B, K] (no gradient needed). */
  teacherOutputs(x: DinoViews): tf.Tensor2D {
    return tf.tidy(() => this.teacherHead.forward(this.teacher.forward(tf.concat([x.global1, x.global2], 0))));
  }

  /** The student's outputs of every view [(2 + V)·B, K], global views first; differentiable. */
  studentOutputs(x: DinoViews): tf.Tensor2D {
    return tf.tidy(() => {
      const g = this.student.forward(tf.concat([x.global1, x.global2], 0));
      const all = x.local && x.local.shape[0] > 0 ? tf.concat([g, this.student.forward(x.local)], 0) : g;
      return this.studentHead.forward(all);
    });
  }

  /** The DINO loss of the student against precomputed teacher outputs; differentiable. */
  studentLoss(x: DinoViews, teacherOut: tf.Tensor2D, options: DinoLossOptions): tf.Scalar {
    return tf.tidy(() => dinoLoss(this.studentOutputs(x), teacherOut, this.center as tf.Tensor2D, options));
  }

  /** Moves the centre toward the teacher's batch mean (after each loss, as DINO). */
  updateCenter(teacherOut: tf.Tensor2D, momentum: number): void {
    const next = dinoCenter(this.center as tf.Tensor2D, teacherOut, momentum);
    this.center.assign(next);
    next.dispose();
  }

  dispose(): void {
    for (const m of [this.student, this.studentHead, this.teacher, this.teacherHead, this.centerParams]) m.dispose();
  }
}
