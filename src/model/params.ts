import * as tf from "@tensorflow/tfjs";
import { createHash } from "crypto";
import { InputError } from "../util/errors";
import type { TensorToWrite } from "./safetensors";

let nextId = 0;

/** Values of named tensors outside TF.js (what safetensors files hold). */
export type TensorValues = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * The named variables of a module, in PyTorch state-dict order, names and layouts, so that
 * reference weights load by name and gradients compare element by element.
 */
export class Params {
  private readonly vars = new Map<string, tf.Variable>();

  /** `scope` only makes the engine-wide variable names readable in TF.js error messages. */
  constructor(private readonly scope: string) {}

  /** Creates the variable `name` holding `values` (float32, row-major). */
  add(name: string, shape: number[], values: Float32Array, trainable = true): tf.Variable {
    if (this.vars.has(name)) throw new Error(`parameter ${name} is defined twice`);
    const v = tf.tidy(() =>
      tf.variable(tf.tensor(values, shape, "float32"), trainable, `${this.scope}/${name}#${nextId++}`),
    );
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter ${name} in ${this.scope}`);
    return v;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /**
   * Copies `values[prefix + name]` into each variable. Every parameter must be present with its exact
   * shape; the error names the source, the tensor, and what was expected. Nothing is assigned on error.
   */
  load(values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, source: string, prefix = ""): void {
    this.check(values, source, prefix);
    tf.tidy(() => {
      for (const [name, v] of this.vars) {
        const t = values.get(prefix + name)!;
        v.assign(tf.tensor(t.data, t.shape, "float32"));
      }
    });
  }

  /** Throws the error `load` would throw, without assigning anything. */
  check(values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, source: string, prefix = ""): void {
    const missing = this.names().filter((n) => !values.has(prefix + n));
    if (missing.length > 0) {
      throw new InputError({
        file: source,
        expected: `tensors ${missing
          .slice(0, 5)
          .map((n) => `"${prefix}${n}"`)
          .join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`,
        found: "them missing",
      });
    }
    for (const [name, v] of this.vars) {
      const t = values.get(prefix + name)!;
      if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        throw new InputError({
          file: source,
          field: prefix + name,
          expected: `shape [${v.shape}]`,
          found: `shape [${t.shape}]`,
        });
      }
      if (!(t.data instanceof Float32Array)) {
        throw new InputError({
          file: source,
          field: prefix + name,
          expected: "a floating-point tensor",
          found: "integers",
        });
      }
    }
  }

  /** Assigns the current values of `other` (same names and shapes) to these variables. */
  copyFrom(other: Params): void {
    tf.tidy(() => {
      for (const [name, v] of this.vars) v.assign(other.get(name));
    });
  }

  /** Current values, read synchronously. */
  read(prefix = ""): Map<string, TensorToWrite & { data: Float32Array }> {
    const out = new Map<string, TensorToWrite & { data: Float32Array }>();
    for (const [name, v] of this.vars)
      out.set(prefix + name, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
    return out;
  }

  /** SHA-256 over names, shapes and values: equal digests mean equal weights. */
  fingerprint(): string {
    const h = createHash("sha256");
    for (const [name, t] of this.read()) {
      h.update(`${name}:${t.shape.join("x")};`);
      h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
    return h.digest("hex").slice(0, 16);
  }

  /** Number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
