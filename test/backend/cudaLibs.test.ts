/**
 * tensorflow-gpu provisioning's decisions (scripts/cuda-libs.js) on made-up file systems: where CUDA 12 and
 * cuDNN 9 are looked for, what is found, and what the install and `doctor` do about it. A CPU-only machine
 * can check these; building and loading the binding needs a GPU (README: what was verified where).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { packageRoot } from "../../src/util/paths";

interface Lib {
  name: string;
  dir: string;
  file: string;
  version: string;
}
interface Libs {
  found: Lib[];
  missing: { name: string; wanted: string }[];
}
const cuda = require(path.join(packageRoot(), "scripts", "cuda-libs.js")) as {
  cudaSearchDirs(o: { env: Record<string, string>; sitePackages: string[]; readdir(d: string): string[] }): string[];
  findCudaLibraries(dirs: string[], readdir: (d: string) => string[]): Libs;
  gpuPlan(o: { gpu: boolean; bindingLoads: boolean; libs: Libs; pip: boolean }): { action: string; message: string };
};

/** A read-only file system: folder -> file names. */
const fsOf = (tree: Record<string, string[]>) => (d: string) => tree[d] ?? [];

const PIP = {
  "/t/nvidia": ["cublas", "cuda_runtime", "cudnn"],
  "/t/nvidia/cuda_runtime/lib": ["libcudart.so.12"],
  "/t/nvidia/cublas/lib": ["libcublas.so.12", "libcublasLt.so.12"],
  "/t/nvidia/cudnn/lib": ["libcudnn.so.9", "libcudnn_ops.so.9"],
};

test("search order: EHR_MSN_CUDA_DIR, the pip nvidia/*/lib folders, LD_LIBRARY_PATH, then system folders", () => {
  const dirs = cuda.cudaSearchDirs({
    env: { EHR_MSN_CUDA_DIR: "/mine:/also", LD_LIBRARY_PATH: "/ld" },
    sitePackages: ["/t"],
    readdir: fsOf(PIP),
  });
  assert.deepEqual(dirs, [
    "/mine",
    "/also",
    "/t/nvidia/cublas/lib",
    "/t/nvidia/cuda_runtime/lib",
    "/t/nvidia/cudnn/lib",
    "/ld",
    "/usr/local/cuda/lib64",
    "/usr/local/cuda/targets/x86_64-linux/lib",
    "/usr/lib/x86_64-linux-gnu",
  ]);
});

test("finds CUDA 12, cuBLAS 12 and cuDNN 9 in pip's layout and plans to build the binding", () => {
  const read = fsOf(PIP);
  const libs = cuda.findCudaLibraries(cuda.cudaSearchDirs({ env: {}, sitePackages: ["/t"], readdir: read }), read);
  assert.deepEqual(
    libs.found.map((l) => [l.name, l.version, l.dir]),
    [
      ["CUDA runtime", "12", "/t/nvidia/cuda_runtime/lib"],
      ["cuBLAS", "12", "/t/nvidia/cublas/lib"],
      ["cuDNN", "9", "/t/nvidia/cudnn/lib"],
    ],
  );
  const plan = cuda.gpuPlan({ gpu: true, bindingLoads: false, libs, pip: true });
  assert.equal(plan.action, "build");
  assert.match(
    plan.message,
    /found CUDA runtime 12 \(\/t\/nvidia\/cuda_runtime\/lib\), cuBLAS 12 .*cuDNN 9 .*tensorflow==2\.21\.0/,
  );
});

test("CUDA 11 / cuDNN 8 of the old TensorFlow are named as the wrong versions, and pip is asked for CUDA 12", () => {
  const read = fsOf({
    "/usr/local/cuda/lib64": ["libcudart.so.11.0", "libcublas.so.11"],
    "/usr/lib/x86_64-linux-gnu": ["libcudnn.so.8.9.7", "libcudnn.so"],
  });
  const libs = cuda.findCudaLibraries(cuda.cudaSearchDirs({ env: {}, sitePackages: [], readdir: read }), read);
  assert.equal(libs.found.length, 0);
  assert.deepEqual(
    libs.missing.map((m) => m.wanted),
    [
      "libcudart.so.12 (found only libcudart.so.11.0 in /usr/local/cuda/lib64)",
      "libcublas.so.12 (found only libcublas.so.11 in /usr/local/cuda/lib64)",
      "libcudnn.so.9 (found only libcudnn.so.8.9.7 in /usr/lib/x86_64-linux-gnu)",
    ],
  );
  const install = cuda.gpuPlan({ gpu: true, bindingLoads: false, libs, pip: true });
  assert.equal(install.action, "install");
  assert.match(install.message, /installing tensorflow\[and-cuda\]==2\.21\.0 with pip/);
  const giveUp = cuda.gpuPlan({ gpu: true, bindingLoads: false, libs, pip: false });
  assert.equal(giveUp.action, "give-up");
  assert.match(giveUp.message, /no python3 with pip .*EHR_MSN_CUDA_DIR/);
});

test("no GPU: nothing to do; a binding that loads: nothing to do either", () => {
  const none = { found: [], missing: [] };
  assert.equal(cuda.gpuPlan({ gpu: false, bindingLoads: false, libs: none, pip: true }).action, "none");
  assert.equal(cuda.gpuPlan({ gpu: true, bindingLoads: true, libs: none, pip: true }).action, "ready");
});
