/**
 * A model as a list of modules, each with its parameters under a state-dict prefix (`backbone.`,
 * `anchor_projection_head.`, `student.head.` ...): the one place that names, saves and restores the
 * parameters of MSN's and DINO's models, so checkpoints of both follow the same rules.
 */
import * as tf from "@tensorflow/tfjs";
import type { Params, TensorValues } from "./params";

/** One module's parameters under its state-dict prefix. */
export interface PrefixedParams {
  prefix: string;
  params: Params;
}

/** Every parameter of `modules` under its state-dict name, in module order. */
export function prefixedParams(modules: readonly PrefixedParams[]): [string, tf.Variable][] {
  return modules.flatMap(({ prefix, params }) =>
    params.entries().map(([n, v]) => [prefix + n, v] as [string, tf.Variable]),
  );
}

/** Current values of every parameter of `modules` under its state-dict name (what checkpoints store). */
export function modulesState(modules: readonly PrefixedParams[]): TensorValues {
  return new Map(
    prefixedParams(modules).map(([n, v]) => [n, { shape: v.shape.slice(), data: v.dataSync() as Float32Array }]),
  );
}

/**
 * Sets every parameter of `modules` from `values` (state-dict names): all are checked (present, with their
 * shapes) before any is set, so a bad file changes nothing. Other tensors in `values` are ignored.
 */
export function loadModulesState(
  modules: readonly PrefixedParams[],
  values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>,
  source: string,
): void {
  for (const { prefix, params } of modules) params.check(values, source, prefix);
  for (const { prefix, params } of modules) params.load(values, source, prefix);
}
