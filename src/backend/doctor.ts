import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { packageRoot } from "../util/paths";
import { BACKENDS, BackendInfo, BackendName } from "./init";
import { AdapterSummary } from "./webgpu";

export interface DoctorCheck {
  backend: BackendName;
  ok: boolean;
  detail: string;
  /** What to do when it is not ok. */
  fix?: string;
}

/**
 * Checks each backend in a child process (a broken native binding cannot crash the caller)
 * and explains, for each one that cannot run, why and what to do.
 */
export function doctor(root = packageRoot()): DoctorCheck[] {
  const provision = readProvision(root, "provision.json");
  const gpuProvision = readProvision(root, "provision-gpu.json");
  return BACKENDS.map((name) => {
    const r = spawnSync(process.execPath, ["-e", probeScript(name)], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, EHR_MSN_BACKEND: name, TF_CPP_MIN_LOG_LEVEL: "2" },
      timeout: 120_000,
    });
    if (r.status !== 0) {
      const detail =
        (r.stderr || r.stdout || String(r.error ?? "")).trim().split("\n").filter(Boolean).slice(-1)[0] ?? "failed";
      return { backend: name, ok: false, detail, fix: fixFor(name, provision, gpuProvision) };
    }
    const started = JSON.parse(r.stdout.trim().split("\n").slice(-1)[0]) as BackendInfo;
    if (started.adapter === undefined) return { backend: name, ok: true, detail: JSON.stringify(started) };
    // The automatic ladder never takes a software adapter: doctor must not call it usable.
    const ok = !started.adapter.software;
    return {
      backend: name,
      ok,
      detail: describeAdapter(started.adapter),
      fix: ok ? undefined : fixFor(name, provision, gpuProvision),
    };
  });
}

function probeScript(name: BackendName): string {
  return (
    `
    const backend = require(${JSON.stringify(path.join(packageRoot(), "dist", "src", "backend", "index.js"))});
    const tf = require("@tensorflow/tfjs");
    backend.init({ quiet: true }).then((i) => {
      return tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).data().then((y) => {
        if (y[0] !== 64) throw new Error("wrong matMul result " + y[0]);
        console.log(JSON.stringify(i));
      });
    }).catch((e) => { console.error(e.message); process.exit(1); });`.replace(/\n\s*/g, " ") + `/* ${name} */`
  );
}

/** One line naming a WebGPU adapter: who makes it, what it is, and the limits that bound the model. */
export function describeAdapter(a: AdapterSummary): string {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  const what = [a.vendor, a.architecture, a.device].filter(Boolean).join(" ");
  return (
    `${a.software ? "software adapter only: " : ""}${what} (${a.description}); max buffer ${mib(a.limits.maxBufferSize)}, ` +
    `max storage binding ${mib(a.limits.maxStorageBufferBindingSize)}, workgroup storage ${a.limits.maxComputeWorkgroupStorageSize} B`
  );
}

/** scripts/cuda-libs.js: plain JavaScript, shared with the install-time provisioning. */
interface CudaLibs {
  nvidiaGpuPresent(): boolean;
  cudaSearchDirs(o: { sitePackages: string[] }): string[];
  findCudaLibraries(dirs: string[]): { found: { name: string; version: string; dir: string }[]; missing: unknown[] };
  gpuPlan(o: { gpu: boolean; bindingLoads: boolean; libs: unknown; pip: boolean }): { action: string; message: string };
}

/** Which CUDA and cuDNN this machine has, what the install-time provisioning did, and what to do. */
function tensorflowGpuFix(provision: Provision | undefined, root = packageRoot()): string {
  const cuda = require(path.join(root, "scripts", "cuda-libs.js")) as CudaLibs;
  if (!cuda.nvidiaGpuPresent())
    return "Needs an NVIDIA GPU; on this machine the tensorflow backend (CPU) is the fast choice.";
  const libs = cuda.findCudaLibraries(
    cuda.cudaSearchDirs({ sitePackages: [path.join(root, "node_modules", ".ehr-msn", "tensorflow-gpu")] }),
  );
  const plan = cuda.gpuPlan({ gpu: true, bindingLoads: false, libs, pip: true });
  const tried = provision?.outcome ? ` Provisioning at install: ${provision.outcome} (${provision.detail}).` : "";
  return `${plan.message}.${tried} Run \`node scripts/provision-tensorflow.js\` to (re)provision; it prints each step.`;
}

type Provision = { outcome?: string; detail?: string };

function fixFor(name: BackendName, provision: Provision | undefined, gpuProvision: Provision | undefined): string {
  switch (name) {
    case "tensorflow-gpu":
      return tensorflowGpuFix(gpuProvision);
    case "webgpu":
      return (
        "Needs a GPU with a Vulkan driver (NVIDIA: the driver's nvidia_icd.json, e.g. /usr/share/vulkan/icd.d; AMD/Intel: Mesa's " +
        "radv/anv), libvulkan.so.1 (apt-get install libvulkan1) and glibc >= 2.34 for Dawn. A software adapter (SwiftShader) " +
        "is used only when EHR_MSN_BACKEND=webgpu names it: it is correct but slower than the CPU backends."
      );
    case "tensorflow":
      return provision?.outcome === "failed"
        ? `Provisioning at install time failed: ${provision.detail}. Make sure \`python3 -m pip download tensorflow-cpu==2.21.0\` works ` +
            "(pip's index must serve it), that g++, make and Node's headers are present for node-gyp, then run `npm rebuild ehr-msn` " +
            "or `node scripts/provision-tensorflow.js`."
        : "Run `node scripts/provision-tensorflow.js` to build tfjs-node against the TensorFlow wheel; " +
            "it prints each step and why one fails.";
    case "wasm":
      return "Reinstall with `npm ci`: @tensorflow/tfjs-backend-wasm ships its .wasm files in the package.";
    case "cpu":
      return "The cpu backend is plain JavaScript; a failure here means @tensorflow/tfjs itself is broken: reinstall with `npm ci`.";
  }
}

function readProvision(root: string, file: string): Provision | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, "node_modules", ".ehr-msn", file), "utf8"));
  } catch {
    return undefined;
  }
}
