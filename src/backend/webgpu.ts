import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { registerWebgpuFixes } from "./webgpuKernels";

/** What `doctor` and `init` say about the WebGPU adapter Dawn offers. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software rasteriser (SwiftShader): correct but far slower than the CPU backends. */
  software: boolean;
  /** The limits that bound the model's tensors and kernels. */
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupStorageSize: number };
}

/** Debian's chromium package ships SwiftShader's Vulkan driver here; CI uses it to run webgpu without a GPU. */
export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

type Gpu = { requestAdapter(o?: object): Promise<GpuAdapter | null> };
type GpuAdapter = {
  info: Record<string, unknown>;
  limits: Record<string, number>;
  features: Set<string>;
  requestDevice(d?: object): Promise<unknown>;
};

/** Every reason webgpu gives on a machine without a GPU starts so: the ladder passes over it without a note. */
export const NO_GPU_ADAPTER = "no GPU adapter";

let started: AdapterSummary | undefined;

/**
 * Starts tfjs' webgpu backend on Dawn's Node bindings (the npm package `webgpu`). With `acceptSoftware`
 * false (the automatic ladder) only a hardware adapter is taken; true (EHR_MSN_BACKEND=webgpu) also takes
 * SwiftShader, pointing Vulkan at Chromium's copy when no driver list is set. Returns undefined on success,
 * else why webgpu cannot run here.
 */
export async function startWebgpu(acceptSoftware: boolean): Promise<string | undefined> {
  if (started) return (await tf.setBackend("webgpu")) ? undefined : "the webgpu backend did not start";
  // Loading Dawn costs time and Vulkan's loader prints warnings: not worth it where no GPU could be.
  if (!acceptSoftware && !gpuDeviceNode()) return `${NO_GPU_ADAPTER} (no /dev/dri render node or /dev/nvidia0)`;
  // Added to the system's drivers, not instead of them: Dawn still prefers a GPU when there is one.
  if (
    acceptSoftware &&
    !process.env.VK_DRIVER_FILES &&
    !process.env.VK_ADD_DRIVER_FILES &&
    fs.existsSync(SWIFTSHADER_ICD)
  )
    process.env.VK_ADD_DRIVER_FILES = SWIFTSHADER_ICD;
  const gpu = dawn();
  if (typeof gpu === "string") return gpu;
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return `${NO_GPU_ADAPTER} (Dawn found none: is the GPU's Vulkan driver installed?)`;
  const summary = summarise(adapter);
  if (summary.software && !acceptSoftware)
    return `${NO_GPU_ADAPTER} (only ${summary.description}, a software one: set EHR_MSN_BACKEND=webgpu to use it anyway)`;
  // tfjs-backend-webgpu registers itself only when navigator.gpu exists, and asks it for an adapter when
  // the backend is first set: hand it the one chosen here so that it cannot pick another. The wrapper
  // also keeps Dawn's instance alive: collected while a device lives, its pending events crash the process.
  const g = globalThis as { navigator?: { gpu?: Gpu } };
  g.navigator = { ...(g.navigator ?? {}), gpu: { requestAdapter: async () => adapter, instance: gpu } as Gpu };
  require("@tensorflow/tfjs-backend-webgpu");
  registerWebgpuFixes();
  if (!(await tf.setBackend("webgpu"))) return "the webgpu backend did not start";
  started = summary;
  return undefined;
}

/** The adapter webgpu runs on, once `startWebgpu` succeeded. */
export function webgpuAdapter(): AdapterSummary | undefined {
  return started;
}

/** Linux exposes every Vulkan-capable GPU as a render node or, for NVIDIA, /dev/nvidia0; elsewhere Dawn is asked. */
function gpuDeviceNode(): boolean {
  if (process.platform !== "linux") return true;
  if (fs.existsSync("/dev/nvidia0")) return true;
  try {
    return fs.readdirSync("/dev/dri").some((f) => f.startsWith("renderD"));
  } catch {
    return false;
  }
}

/** Dawn's `navigator.gpu`, or why it does not load (its dawn.node needs glibc >= 2.34 and libvulkan.so.1). */
function dawn(): Gpu | string {
  try {
    // The package is ESM without top-level await: Node >= 20.19 requires it synchronously.
    const { create, globals } = require("webgpu") as { create(flags: string[]): Gpu; globals: object };
    Object.assign(globalThis, globals);
    return create([]);
  } catch (e) {
    const msg = String(e instanceof Error ? e.message : e).split("\n")[0];
    if (/Cannot find module 'webgpu'/.test(msg)) return "the npm package webgpu is not installed";
    if (/libvulkan/.test(msg)) return "libvulkan.so.1 is missing (Debian/Ubuntu: apt-get install libvulkan1)";
    return `Dawn does not load (${msg})`;
  }
}

function summarise(adapter: GpuAdapter): AdapterSummary {
  const i = adapter.info;
  const text = (k: string) => String(i[k] ?? "");
  const l = adapter.limits;
  return {
    vendor: text("vendor"),
    architecture: text("architecture"),
    device: text("device"),
    description: text("description"),
    software:
      i.isFallbackAdapter === true ||
      /swiftshader|llvmpipe|lavapipe/i.test(`${text("architecture")} ${text("description")}`),
    limits: {
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    },
  };
}

/**
 * On webgpu, reads every variable to the CPU, after which `dataSync` works on them until they change
 * (tfjs keeps what it read): checkpoints read many variables synchronously. Elsewhere it does nothing.
 */
export async function readVariablesAhead(): Promise<void> {
  if (tf.getBackend() !== "webgpu") return;
  await Promise.all(Object.values(tf.engine().registeredVariables).map((v) => v.data()));
}
