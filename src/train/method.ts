/**
 * What a pretraining method (MSN, and the baselines beside it) gives the shared training loop: its
 * model's parameters, which of them the optimizer trains, and its own step on one micro-batch. The
 * loop owns everything else (data, schedules, accumulation, checkpoints, resume, progress, metrics).
 */
import * as tf from "@tensorflow/tfjs";
import type { TensorValues } from "../model/params";
import type { VisionTransformer } from "../model/vit";
import type { PretrainBatch } from "./source";

/** Where an optimizer step sits in the run (what schedules are functions of). */
export interface StepPosition {
  /** 0-based optimizer step of the whole run. */
  step: number;
  totalSteps: number;
  epoch: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  epochs: number;
}

/** Loss and gradients (by parameter name) of one micro-batch. */
export interface MicroStepResult {
  loss: number;
  grads: Map<string, tf.Tensor>;
}

export interface TrainingMethod {
  /** The encoder exported at the end of the run (`encoder.safetensors`) and used downstream. */
  readonly encoder: VisionTransformer;
  /** The parameters the optimizer trains, by state-dict name, in a fixed order. */
  readonly trained: [string, tf.Variable][];
  /** Weight decay of a trained parameter. */
  weightDecay(name: string): number;
  /** Every parameter's current values (what a checkpoint stores), and their restoration. */
  state(): TensorValues;
  loadState(values: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, source: string): void;
  /** Images (all views) one micro-batch of B images counts in the throughput. */
  imagesPerBatch(batch: PretrainBatch): number;
  /**
   * Checks a batch's shapes against the configuration; `thorough` on the first batch of a session
   * (later batches come from the same source).
   */
  checkBatch(batch: PretrainBatch, thorough: boolean): void;
  /** At the start of an optimizer step; returns the EMA momentum of the step for methods that have one. */
  beginStep(at: StepPosition): { momentum?: number };
  /**
   * Loss and gradients of micro-batch `index` of `epoch`; its randomness comes from (seed, epoch, index) alone.
   * May be asynchronous: the webgpu backend reads the loss back only asynchronously.
   */
  microStep(batch: PretrainBatch, epoch: number, index: number): MicroStepResult | Promise<MicroStepResult>;
  /** After the optimizer has applied the step's gradients. */
  endStep(at: StepPosition): void;
  /** Health figures of the model on a batch (prototype usage, collapse), taken once per epoch; optional. */
  diagnose?(batch: PretrainBatch): Promise<Record<string, number>>;
  dispose(): void;
}

/** `tf.variableGrads`'s gradients under the parameters' names (zeros for a parameter the loss does not reach). */
export function gradsByName(
  grads: Record<string, tf.Tensor>,
  trained: [string, tf.Variable][],
): Map<string, tf.Tensor> {
  const byName = new Map<string, tf.Tensor>();
  for (const [name, v] of trained) byName.set(name, grads[v.name] ?? tf.zerosLike(v));
  return byName;
}
