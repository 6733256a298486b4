import * as fs from "fs";
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors";
import { registerWasmFallbacks } from "./wasmFallbacks";
import { AdapterSummary, NO_GPU_ADAPTER, startWebgpu, webgpuAdapter } from "./webgpu";

export const BACKENDS = ["tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** Which backend runs the tensors. */
  name: BackendName;
  /** Threads the backend computes on. */
  threads: number;
  /** Whether a GPU device does the work. */
  gpu: boolean;
  /** Why faster backends were passed over, when they were. */
  fallbacks: { name: BackendName; reason: string }[];
  /** The WebGPU adapter, on the webgpu backend. */
  adapter?: AdapterSummary;
}

export interface InitOptions {
  /**
   * Backend to use, or an order to try. The environment variable EHR_MSN_BACKEND overrides it
   * and, unlike `prefer`, fails when that backend cannot start.
   */
  prefer?: BackendName | BackendName[];
  /** Print nothing, not even the one-line note when falling back. */
  quiet?: boolean;
}

let current: BackendInfo | undefined;
let fallbackNoted = false;

/**
 * Picks, initialises and reports the compute backend: tensorflow-gpu > webgpu (a GPU adapter only) >
 * tensorflow > wasm > cpu.
 * Safe to call again; the first successful choice stays unless `prefer` names another.
 */
export async function init(opts: InitOptions = {}): Promise<BackendInfo> {
  const forced = forcedBackend();
  const order = forced ? [forced] : orderFrom(opts.prefer);
  if (current && current.name === order[0]) return current;
  const fallbacks: BackendInfo["fallbacks"] = [];
  for (const name of order) {
    const reason = await tryStart(name, forced === name);
    if (reason === undefined) {
      current = { name, threads: threadsOf(name), gpu: gpuOf(name), fallbacks };
      if (name === "webgpu") current.adapter = webgpuAdapter();
      // A machine without a GPU running the tensorflow backend is the expected case, not news.
      const notable = fallbacks.filter((f) => f.reason !== NO_GPU && !f.reason.startsWith(NO_GPU_ADAPTER));
      if (notable.length > 0 && !opts.quiet && !fallbackNoted && !opts.prefer) {
        fallbackNoted = true;
        const skipped = notable.map((f) => `${f.name}: ${f.reason}`).join("; ");
        console.warn(`ehr-msn: using the ${name} backend (${skipped}). Run \`npx ehr-msn doctor\` for what to do.`);
      }
      return current;
    }
    if (forced) {
      throw new InputError({
        field: "EHR_MSN_BACKEND",
        expected: `the ${name} backend to start`,
        found: reason,
        hint: "Unset EHR_MSN_BACKEND to fall back automatically, or run `npx ehr-msn doctor`.",
      });
    }
    fallbacks.push({ name, reason });
  }
  throw new Error(`no TensorFlow.js backend could start: ${fallbacks.map((f) => `${f.name}: ${f.reason}`).join("; ")}`);
}

/** What `init` chose. Throws when it has not run. */
export function info(): BackendInfo {
  if (!current) throw new Error("backend.init() has not been called yet");
  return current;
}

/** `info()` when a backend was chosen, else `init()`. */
export async function ensure(): Promise<BackendInfo> {
  return current ?? init();
}

/** The backend EHR_MSN_BACKEND forces, if any; an unknown name is an InputError listing the valid ones. */
export function forcedBackend(): BackendName | undefined {
  const v = process.env.EHR_MSN_BACKEND;
  if (v === undefined || v === "") return undefined;
  if (!(BACKENDS as readonly string[]).includes(v)) {
    throw new InputError({
      field: "EHR_MSN_BACKEND",
      expected: `one of ${BACKENDS.join(", ")}`,
      found: JSON.stringify(v),
    });
  }
  return v as BackendName;
}

function orderFrom(prefer: InitOptions["prefer"]): BackendName[] {
  const wanted = prefer === undefined ? [] : Array.isArray(prefer) ? prefer : [prefer];
  for (const w of wanted) {
    if (!(BACKENDS as readonly string[]).includes(w)) {
      throw new InputError({ field: "prefer", expected: `one of ${BACKENDS.join(", ")}`, found: JSON.stringify(w) });
    }
  }
  return [...wanted, ...BACKENDS.filter((b) => !wanted.includes(b))];
}

/** Returns undefined on success, else why the backend cannot run here. */
async function tryStart(name: BackendName, forced: boolean): Promise<string | undefined> {
  try {
    // A software adapter (SwiftShader) is slower than the CPU backends: taken only when asked for by name.
    if (name === "webgpu") return await startWebgpu(forced);
    if (name === "tensorflow-gpu" || name === "tensorflow") {
      const loaded = loadTfjsNode(name);
      if (loaded !== undefined) return loaded;
      if (!(await tf.setBackend("tensorflow"))) return "tfjs-node loaded but its backend did not start";
      return undefined;
    }
    if (name === "wasm") {
      require("@tensorflow/tfjs-backend-wasm");
      if (!(await tf.setBackend("wasm"))) return "the wasm module did not start";
      registerWasmFallbacksOnce();
      return undefined;
    }
    if (!(await tf.setBackend("cpu"))) return "the cpu backend did not start";
    (tf.backend() as { firstUse?: boolean }).firstUse = false; // silences tfjs' "install tfjs-node" banner
    return undefined;
  } catch (e) {
    return firstLine(e);
  }
}

const NO_GPU = "no NVIDIA GPU on this machine";
let nodeVariant: "tensorflow-gpu" | "tensorflow" | undefined;

/** tfjs-node and tfjs-node-gpu both register a backend named "tensorflow": only one may load. */
function loadTfjsNode(name: "tensorflow-gpu" | "tensorflow"): string | undefined {
  if (nodeVariant !== undefined)
    return nodeVariant === name
      ? undefined
      : `${nodeVariant === "tensorflow" ? "tfjs-node" : "tfjs-node-gpu"} is already loaded`;
  if (name === "tensorflow-gpu" && !gpuPresent()) return NO_GPU;
  // Quiets TensorFlow's C++ warnings at run time (its two load-time notes are printed regardless).
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  // Installed under these aliases (package.json): see scripts/provision-tensorflow.js for why.
  const pkg = name === "tensorflow-gpu" ? "tfjs-node-gpu" : "tfjs-node";
  try {
    require(pkg);
  } catch (e) {
    const msg = firstLine(e);
    return /Cannot find module 'tfjs-node/.test(msg)
      ? `@tensorflow/${pkg} is not installed`
      : `@tensorflow/${pkg} does not load (${msg})`;
  }
  nodeVariant = name;
  return undefined;
}

function gpuPresent(): boolean {
  return fs.existsSync("/dev/nvidia0") || fs.existsSync("/proc/driver/nvidia/version");
}

let fallbacksRegistered = false;
function registerWasmFallbacksOnce(): void {
  if (!fallbacksRegistered) registerWasmFallbacks();
  fallbacksRegistered = true;
}

function threadsOf(name: BackendName): number {
  // tfjs-backend-wasm hard-disables threads in Node (tfjs#3830); the cpu backend is plain JS.
  if (name === "wasm" || name === "cpu") return 1;
  const fromEnv = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : os.availableParallelism();
}

function gpuOf(name: BackendName): boolean {
  if (name === "webgpu") return webgpuAdapter()?.software === false;
  if (name !== "tensorflow-gpu") return false;
  return Boolean((tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice);
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e)
    .split("\n")[0]
    .trim();
}
