import * as tf from "@tensorflow/tfjs";

/**
 * Our fixes to tfjs-backend-webgpu 4.22, registered for that backend only:
 * - PadV2 (the gradient of slice) generates WGSL that indexes a `vec5` for 5-D tensors, which does not
 *   compile ("cannot index type 'vec5'"); the attention's [1, B, H, T, D/H] views are 5-D. Dimensions
 *   whose inner neighbour is not padded are merged first, so the kernel sees at most 4.
 * - readSync (dataSync, arraySync) reads GPU memory through OffscreenCanvas, which Node lacks
 *   (`ReferenceError: OffscreenCanvas is not defined`). Node cannot wait on the GPU synchronously, so
 *   the read fails with a message that says to use `await tensor.data()` instead.
 */
export function registerWebgpuFixes(): void {
  wrapKernel(tf.PadV2, (original) => (args) => padV2AtMost4D(original, args));
  const { WebGPUBackend } = require("@tensorflow/tfjs-backend-webgpu") as { WebGPUBackend: { prototype: Backend } };
  const readSync = WebGPUBackend.prototype.readSync;
  WebGPUBackend.prototype.readSync = function (this: Backend, dataId: object) {
    const cached = this.tensorMap.get(dataId)?.values;
    if (cached) return readSync.call(this, dataId);
    throw new Error(
      "a webgpu tensor cannot be read synchronously in Node (dataSync/arraySync): use `await tensor.data()`",
    );
  };
}

interface Backend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  tensorMap: { get(dataId: object): { values?: unknown } | undefined };
  disposeData(dataId: object): boolean;
}

type KernelFunc = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

/** Replaces webgpu's kernel `name` by `wrap(original)`. */
function wrapKernel(name: string, wrap: (original: KernelFunc) => KernelFunc): void {
  const config = tf.getKernel(name, "webgpu");
  if (!config) throw new Error(`tfjs-backend-webgpu has no ${name} kernel to fix`);
  const original = config.kernelFunc as KernelFunc;
  tf.unregisterKernel(name, "webgpu");
  tf.registerKernel({ ...config, kernelFunc: wrap(original) as tf.KernelFunc });
}

/**
 * Pads like PadV2 with every run of dimensions [a, b] where b is not padded merged into one of size a·b
 * (padding a by p pads the merged one by p·b), then reshapes back. Exact: only views change.
 */
function padV2AtMost4D(original: KernelFunc, args: Parameters<KernelFunc>[0]): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const paddings = (args.attrs as { paddings: [number, number][] }).paddings;
  if (x.shape.length <= 4) return original(args) as tf.TensorInfo;
  const shape: number[] = [];
  const pads: [number, number][] = [];
  for (let d = x.shape.length - 1; d >= 0; d--) {
    const [before, after] = paddings[d];
    const innerUnpadded = pads.length > 0 && pads[0][0] === 0 && pads[0][1] === 0;
    if (innerUnpadded) {
      const inner = shape[0];
      shape[0] = x.shape[d] * inner;
      pads[0] = [before * inner, after * inner];
    } else {
      shape.unshift(x.shape[d]);
      pads.unshift([before, after]);
    }
  }
  if (shape.length > 4) return original(args) as tf.TensorInfo; // tfjs' own error: nothing to merge
  const backend = args.backend as Backend;
  const reshape = tf.getKernel(tf.Reshape, "webgpu")!.kernelFunc as KernelFunc;
  const flat = reshape({ inputs: { x }, backend, attrs: { shape } }) as tf.TensorInfo;
  const padded = original({ ...args, inputs: { x: flat }, attrs: { ...args.attrs, paddings: pads } }) as tf.TensorInfo;
  const outShape = x.shape.map((n, d) => n + paddings[d][0] + paddings[d][1]);
  const out = reshape({ inputs: { x: padded }, backend, attrs: { shape: outShape } }) as tf.TensorInfo;
  backend.disposeData(flat.dataId);
  backend.disposeData(padded.dataId);
  return out;
}
