/**
 * AdamW with PyTorch's update rule (`torch.optim.AdamW`: decoupled weight decay applied first, then
 * bias-corrected Adam). TF.js ships Adam without decoupled weight decay, and its optimizers do not
 * expose their moments for exact checkpoint/resume, hence this small implementation.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Weight decay of each parameter by name (the authors: the same value for every parameter). */
  weightDecay: (name: string) => number;
}

export class AdamW {
  /** Optimizer steps taken (PyTorch's `state["step"]`). */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  constructor(private readonly params: [string, tf.Variable][], private readonly options: AdamWOptions) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** One update with gradients by parameter name (every parameter must have one). */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const t = this.step;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) throw new Error(`no gradient for ${name}`);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const wd = this.options.weightDecay(name);
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const decayed = wd !== 0 ? tf.mul(p, 1 - lr * wd) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), this.eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
      }
    });
  }

  /** The moments as `exp_avg.<name>` / `exp_avg_sq.<name>` (PyTorch's state names). */
  state(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, m] of this.m) out.set(`exp_avg.${name}`, { shape: m.shape.slice(), data: m.dataSync() as Float32Array });
    for (const [name, v] of this.v) out.set(`exp_avg_sq.${name}`, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
    return out;
  }

  /** Restores the moments and the step count; every moment must be present with its shape. */
  loadState(values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, step: number, source: string): void {
    const all = [...[...this.m].map(([n, t]) => [`exp_avg.${n}`, t] as const), ...[...this.v].map(([n, t]) => [`exp_avg_sq.${n}`, t] as const)];
    for (const [key, t] of all) {
      const s = values.get(key);
      if (!s || s.shape.join() !== t.shape.join() || !(s.data instanceof Float32Array)) {
        throw new InputError({ file: source, field: key, expected: `optimizer state of shape [${t.shape}]`, found: s ? `shape [${s.shape}]` : "none" });
      }
    }
    tf.tidy(() => {
      for (const [key, t] of all) {
        const s = values.get(key)!;
        t.assign(tf.tensor(s.data, s.shape, "float32"));
      }
    });
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
