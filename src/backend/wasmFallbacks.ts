import * as tf from "@tensorflow/tfjs";

/**
 * tfjs-backend-wasm lacks a few kernels that training needs, most notably
 * `UnsortedSegmentSum` (the gradient of `gather`) and `Conv2DBackpropFilter`
 * (the gradient of a conv filter). For every kernel the cpu backend has and wasm
 * lacks, this registers a wasm kernel that copies the inputs to the cpu backend,
 * runs the cpu kernel there and copies the outputs back. Slower than a native
 * kernel, but exact, and it lets the same model code train on every backend.
 */
export function registerWasmFallbacks(): string[] {
  const wasmKernels = new Set(tf.getKernelsForBackend("wasm").map((k) => k.kernelName));
  const missing = tf.getKernelsForBackend("cpu").filter((k) => !wasmKernels.has(k.kernelName));
  for (const cpuKernel of missing) {
    tf.registerKernel({
      kernelName: cpuKernel.kernelName,
      backendName: "wasm",
      kernelFunc: ({ inputs, backend, attrs }) => runOnCpu(cpuKernel, inputs, backend, attrs),
    });
  }
  return missing.map((k) => k.kernelName);
}

// The kernel function types of tfjs-core are loose (KernelBackend, NamedAttrMap);
// the two backends are used through the few methods that both implement.
interface DataBackend {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  makeOutput?(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.backend_util.BackendValues,
  ): tf.TensorInfo;
  disposeData(dataId: unknown, force?: boolean): boolean;
}

function runOnCpu(
  kernel: tf.KernelConfig,
  inputs: tf.NamedTensorInfoMap,
  wasmBackend: unknown,
  attrs: unknown,
): tf.TensorInfo | tf.TensorInfo[] {
  const wasm = wasmBackend as DataBackend;
  const cpu = cpuBackend();
  const cpuInputs: tf.NamedTensorInfoMap = {};
  for (const [name, t] of Object.entries(inputs)) {
    if (t) cpuInputs[name] = cpu.makeTensorInfo(t.shape, t.dtype, wasm.readSync(t.dataId));
  }
  try {
    const out = kernel.kernelFunc({ inputs: cpuInputs, backend: cpu as never, attrs: attrs as tf.NamedAttrMap });
    const outs = Array.isArray(out) ? out : [out];
    const copied = outs.map((o) => {
      const values = cpu.readSync(o.dataId);
      cpu.disposeData(o.dataId, true);
      return wasm.makeOutput!(o.shape, o.dtype, undefined, values);
    });
    return Array.isArray(out) ? copied : copied[0];
  } finally {
    for (const t of Object.values(cpuInputs)) if (t) cpu.disposeData(t.dataId, true);
  }
}

function cpuBackend(): DataBackend {
  const cpu = tf.findBackend("cpu") as unknown as (DataBackend & { firstUse?: boolean }) | null;
  if (!cpu) throw new Error("the cpu backend could not be created for a wasm kernel fallback");
  cpu.firstUse = false; // its one-time "install tfjs-node" banner is not news to us
  return cpu;
}
