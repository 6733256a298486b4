// Where the CUDA 12 libraries that TensorFlow 2.21 needs are, and what to do about tensorflow-gpu: used by
// scripts/provision-tensorflow.js at install (before TypeScript is compiled, hence plain JavaScript) and by
// `ehr-msn doctor`. Pure functions of the file system and environment they are given, so that tests can
// drive every branch on a machine without a GPU.
"use strict";
const fs = require("fs");
const path = require("path");

/** TensorFlow 2.21's GPU build and the pip extra that brings its CUDA libraries. */
const GPU_WHEEL = { spec: "tensorflow[and-cuda]==2.21.0", tensorflow: "tensorflow==2.21.0" };

/** The libraries TensorFlow 2.21 dlopens on a GPU, with the major versions it was built against. */
const REQUIRED = [
  { name: "CUDA runtime", prefix: "libcudart.so.", major: "12" },
  { name: "cuBLAS", prefix: "libcublas.so.", major: "12" },
  { name: "cuDNN", prefix: "libcudnn.so.", major: "9" },
];

/** Whether this Linux machine has an NVIDIA GPU with its kernel driver loaded. */
function nvidiaGpuPresent(exists = fs.existsSync) {
  return exists("/dev/nvidia0") || exists("/proc/driver/nvidia/version");
}

/**
 * Folders to look in, first match wins: EHR_MSN_CUDA_DIR, the pip packages' nvidia/<lib>/lib folders (our
 * own install target first, then the given site-packages), LD_LIBRARY_PATH, then the usual system places.
 */
function cudaSearchDirs({ env = process.env, sitePackages = [], readdir = safeReaddir } = {}) {
  const split = (v) => (v ? v.split(":").filter(Boolean) : []);
  const pipDirs = sitePackages.flatMap((sp) =>
    readdir(path.join(sp, "nvidia")).map((d) => path.join(sp, "nvidia", d, "lib")),
  );
  return [
    ...split(env.EHR_MSN_CUDA_DIR),
    ...pipDirs,
    ...split(env.LD_LIBRARY_PATH),
    "/usr/local/cuda/lib64",
    "/usr/local/cuda/targets/x86_64-linux/lib",
    "/usr/lib/x86_64-linux-gnu",
  ];
}

/**
 * For each required library, the first folder holding `<prefix><major>[.minor…]`: { found: [{ name, dir,
 * file, version }], missing: [{ name, wanted }] }. A library of another major version is named in `wanted`.
 */
function findCudaLibraries(dirs, readdir = safeReaddir) {
  const found = [];
  const missing = [];
  for (const lib of REQUIRED) {
    let hit;
    const others = [];
    for (const dir of dirs) {
      for (const file of readdir(dir)) {
        if (!file.startsWith(lib.prefix)) continue;
        const version = file.slice(lib.prefix.length);
        if (!/^\d+(\.\d+)*$/.test(version)) continue;
        if (version.split(".")[0] === lib.major) hit ??= { name: lib.name, dir, file, version };
        else others.push(`${file} in ${dir}`);
      }
      if (hit) break;
    }
    if (hit) found.push(hit);
    else
      missing.push({
        name: lib.name,
        wanted: `${lib.prefix}${lib.major}${others.length ? ` (found only ${others.join(", ")})` : ""}`,
      });
  }
  return { found, missing };
}

/**
 * What to do for tensorflow-gpu: { action, message }, action one of "none" (no GPU), "ready" (the binding
 * loads), "build" (CUDA found: build the binding against TensorFlow 2.21), "install" (get the CUDA
 * libraries with pip first), "give-up" (no pip: say what to install).
 */
function gpuPlan({ gpu, bindingLoads, libs, pip }) {
  if (!gpu) return { action: "none", message: "no NVIDIA GPU on this machine: tensorflow-gpu is not provisioned" };
  if (bindingLoads) return { action: "ready", message: "tfjs-node-gpu loads" };
  const have = libs.found.map((l) => `${l.name} ${l.version} (${l.dir})`).join(", ");
  if (libs.missing.length === 0)
    return { action: "build", message: `found ${have}: building tfjs-node-gpu against ${GPU_WHEEL.tensorflow}` };
  const lacking = libs.missing.map((m) => `${m.name} ${m.wanted}`).join(", ");
  if (pip)
    return {
      action: "install",
      message: `missing ${lacking}${have ? `; found ${have}` : ""}: installing ${GPU_WHEEL.spec} with pip (about 3 GB)`,
    };
  return {
    action: "give-up",
    message:
      `missing ${lacking} and no python3 with pip to install them: install ${GPU_WHEEL.spec} with pip ` +
      "(or CUDA 12 and cuDNN 9), set EHR_MSN_CUDA_DIR to their lib folder, then run `node scripts/provision-tensorflow.js`",
  };
}

function safeReaddir(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

module.exports = { GPU_WHEEL, REQUIRED, nvidiaGpuPresent, cudaSearchDirs, findCudaLibraries, gpuPlan };
