#!/usr/bin/env node
// Gives @tensorflow/tfjs-node a TensorFlow C library without its own download, which fails on
// offline, mirrored or air-gapped machines: the official TensorFlow wheel (served by pip's
// configured index) carries the same C and eager C API. Idempotent: does nothing when tfjs-node
// already loads. Never fails the install: on any error the library falls back to wasm, and
// `ehr-msn doctor` reads the outcome written to node_modules/.ehr-msn/provision.json.
"use strict";
// package.json depends on it under the alias "tfjs-node" (and "tfjs-node-gpu"): danfojs-node also asks for
// "@tensorflow/tfjs-node", which our overrides point at plain @tensorflow/tfjs, so that loading danfo never
// loads TensorFlow's C library (nor fails where it cannot load).
const fs = require("fs");
const path = require("path");
const os = require("os");
const crypto = require("crypto");
const { spawnSync } = require("child_process");

const WHEEL = {
  spec: "tensorflow-cpu==2.21.0",
  file: "tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl",
  sha256: "2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c",
};
// tfjs-node 4.22 links against libtensorflow 2.9.1 names; the 2.21 library keeps the same C ABI.
const LIB_ALIASES = {
  "libtensorflow_cc.so.2": ["libtensorflow.so", "libtensorflow.so.2", "libtensorflow.so.2.9.1"],
  "libtensorflow_framework.so.2": ["libtensorflow_framework.so", "libtensorflow_framework.so.2.9.1"],
};

const root = path.resolve(__dirname, "..");
const stateDir = path.join(root, "node_modules", ".ehr-msn");
const say = (msg) => console.log(`ehr-msn: ${msg}`);

/** Writes node_modules/.ehr-msn/<file> (provision.json: the CPU build; provision-gpu.json: the GPU one). */
function record(outcome, detail, file = "provision.json", wheel = WHEEL.spec) {
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(
    path.join(stateDir, file),
    JSON.stringify({ outcome, detail, wheel, at: new Date().toISOString() }, null, 2),
  );
}

function tfjsNodeDir(pkg = "tfjs-node") {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`, { paths: [root] }));
  } catch {
    return undefined;
  }
}

/** Loads tfjs-node (or tfjs-node-gpu) in a child process so a crashing binding cannot take the install down. */
function tfjsNodeLoads(pkg = "tfjs-node") {
  const r = spawnSync(process.execPath, ["-e", `require('${pkg}')`], { cwd: root, encoding: "utf8" });
  return { ok: r.status === 0, error: (r.stderr || "").trim().split("\n").slice(-3).join(" ") };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) {
    const tail = `${r.stdout || ""}\n${r.stderr || ""}`.trim().split("\n").slice(-8).join("\n");
    throw new Error(
      `${cmd} ${args.join(" ")} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${tail}`,
    );
  }
  return r;
}

function sha256(file) {
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.alloc(8 << 20);
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest("hex");
}

function python() {
  for (const py of [process.env.EHR_MSN_PYTHON, path.join(root, ".venv", "bin", "python"), "python3"]) {
    if (py && spawnSync(py, ["-m", "pip", "--version"], { encoding: "utf8" }).status === 0) return py;
  }
  throw new Error("no python3 with pip found (set EHR_MSN_PYTHON to one)");
}

function fetchWheel(py) {
  const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "ehr-msn", "wheels");
  const wheel = path.join(cacheDir, WHEEL.file);
  if (fs.existsSync(wheel) && sha256(wheel) === WHEEL.sha256) {
    say(`step 1/4: wheel ${WHEEL.file} found in ${cacheDir}`);
    say("step 2/4: sha256 verified");
    return wheel;
  }
  say(`step 1/4: pip download ${WHEEL.spec} --no-deps (about 270 MB)`);
  // The platform tags pin the exact file whose sha256 is known, whatever the local Python is.
  run(py, [
    "-m",
    "pip",
    "download",
    WHEEL.spec,
    "--no-deps",
    "--only-binary=:all:",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
    "--platform",
    "manylinux_2_27_x86_64",
    "-d",
    cacheDir,
  ]);
  if (!fs.existsSync(wheel)) throw new Error(`pip download did not produce ${wheel}`);
  const got = sha256(wheel);
  if (got !== WHEEL.sha256) {
    fs.rmSync(wheel);
    throw new Error(`sha256 of ${WHEEL.file} is ${got}, expected ${WHEEL.sha256}`);
  }
  say("step 2/4: sha256 verified");
  return wheel;
}

function extract(py, wheel, depsDir) {
  say(`step 3/4: extracting the C library and headers into ${path.relative(root, depsDir)}`);
  const script = `
import sys, zipfile, os, shutil
wheel, deps = sys.argv[1], sys.argv[2]
lib, inc = os.path.join(deps, "lib"), os.path.join(deps, "include")
os.makedirs(lib, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name in ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"):
            dest = os.path.join(lib, os.path.basename(name))
        elif name.startswith("tensorflow/include/") and not name.endswith("/"):
            dest = os.path.join(inc, name[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(name) as src, open(dest + ".part", "wb") as out:
            shutil.copyfileobj(src, out, 16 << 20)
        os.replace(dest + ".part", dest)
`;
  run(py, ["-c", script, wheel, depsDir]);
  const lib = path.join(depsDir, "lib");
  for (const [real, aliases] of Object.entries(LIB_ALIASES)) {
    for (const alias of aliases) {
      const p = path.join(lib, alias);
      fs.rmSync(p, { force: true });
      fs.symlinkSync(real, p);
    }
  }
}

function buildBinding(dir) {
  say(`building the ${path.basename(dir)} binding from source with node-gyp (about 30 s)`);
  const preGyp = require.resolve("@mapbox/node-pre-gyp/bin/node-pre-gyp", { paths: [dir] });
  const env = { ...process.env };
  // node-gyp needs Node's headers; a system Node ships them under /usr/include/node.
  if (!env.npm_config_nodedir && fs.existsSync("/usr/include/node/node.h")) env.npm_config_nodedir = "/usr";
  run(process.execPath, [preGyp, "install", "--build-from-source"], { cwd: dir, env });
}

function main() {
  if (process.env.EHR_MSN_SKIP_PROVISION) {
    say("tensorflow provisioning skipped (EHR_MSN_SKIP_PROVISION is set)");
    return;
  }
  const dir = tfjsNodeDir();
  if (!dir) {
    record("absent", "@tensorflow/tfjs-node (alias tfjs-node) is not installed (optional dependency left out)");
    say("tensorflow backend: @tensorflow/tfjs-node is not installed; the library will use wasm");
    return;
  }
  const before = tfjsNodeLoads();
  if (before.ok) {
    record("ready", "tfjs-node loads");
    say("tensorflow backend: ready (tfjs-node loads)");
    return;
  }
  if (os.platform() !== "linux" || os.arch() !== "x64") {
    record("failed", `provisioning from the wheel supports linux x64 only, this is ${os.platform()} ${os.arch()}`);
    say(
      `tensorflow backend: not provisioned on ${os.platform()} ${os.arch()}; the library will use wasm (see \`ehr-msn doctor\`)`,
    );
    return;
  }
  say("tensorflow backend: tfjs-node has no TensorFlow C library; provisioning it from the official TensorFlow wheel");
  try {
    const py = python();
    extract(py, fetchWheel(py), path.join(dir, "deps"));
    buildBinding(dir);
    const after = tfjsNodeLoads();
    if (!after.ok) throw new Error(`the binding was built but does not load: ${after.error}`);
    record("provisioned", `built against ${WHEEL.spec}`);
    say("tensorflow backend: ready (provisioned from the TensorFlow wheel)");
  } catch (e) {
    record("failed", String(e.message || e));
    say(
      `tensorflow backend: provisioning failed, the library will use wasm. Reason: ${String(e.message || e).split("\n")[0]}`,
    );
    say("run `npx ehr-msn doctor` for what to do");
  }
}

/**
 * tensorflow-gpu: when an NVIDIA GPU is there and tfjs-node-gpu (built for CUDA 11.2 / cuDNN 8) does not load,
 * builds its binding against TensorFlow 2.21 and the CUDA 12 / cuDNN 9 libraries, installed with pip's
 * tensorflow[and-cuda] into node_modules/.ehr-msn/tensorflow-gpu when the machine lacks them. The wheel's
 * library finds the pip CUDA libraries through its RUNPATH ($ORIGIN/../nvidia/<lib>/lib), so the binding's
 * deps/ gets a `nvidia` link to them. Never fails the install; the outcome goes to provision-gpu.json.
 */
function provisionGpu() {
  const cuda = require("./cuda-libs");
  const gpu = cuda.nvidiaGpuPresent();
  const dir = tfjsNodeDir("tfjs-node-gpu");
  if (gpu && !dir) {
    record("absent", "@tensorflow/tfjs-node-gpu (alias tfjs-node-gpu) is not installed", "provision-gpu.json");
    return;
  }
  const target = path.join(stateDir, "tensorflow-gpu");
  let py;
  try {
    py = python();
  } catch {
    py = undefined;
  }
  const libs = () => cuda.findCudaLibraries(cuda.cudaSearchDirs({ sitePackages: [target] }));
  const plan = cuda.gpuPlan({
    gpu,
    bindingLoads: gpu && tfjsNodeLoads("tfjs-node-gpu").ok,
    libs: gpu ? libs() : { found: [], missing: [] },
    pip: Boolean(py),
  });
  if (plan.action === "none") return;
  say(`tensorflow-gpu backend: ${plan.message}`);
  if (plan.action === "ready" || plan.action === "give-up") {
    record(plan.action, plan.message, "provision-gpu.json", cuda.GPU_WHEEL.spec);
    return;
  }
  try {
    // Both plans need the GPU build of the wheel for libtensorflow_cc.so.2; "install" also brings CUDA.
    const spec = plan.action === "install" ? cuda.GPU_WHEEL.spec : cuda.GPU_WHEEL.tensorflow;
    run(py, ["-m", "pip", "install", "--target", target, ...(plan.action === "install" ? [] : ["--no-deps"]), spec]);
    const lib = path.join(dir, "deps", "lib");
    fs.mkdirSync(lib, { recursive: true });
    for (const [real, aliases] of Object.entries(LIB_ALIASES)) {
      fs.copyFileSync(path.join(target, "tensorflow", real), path.join(lib, real));
      for (const alias of aliases) {
        fs.rmSync(path.join(lib, alias), { force: true });
        fs.symlinkSync(real, path.join(lib, alias));
      }
    }
    fs.cpSync(path.join(target, "tensorflow", "include"), path.join(dir, "deps", "include"), { recursive: true });
    const nvidia = path.join(dir, "deps", "nvidia");
    fs.rmSync(nvidia, { force: true, recursive: true });
    if (fs.existsSync(path.join(target, "nvidia"))) fs.symlinkSync(path.join(target, "nvidia"), nvidia);
    buildBinding(dir);
    const after = tfjsNodeLoads("tfjs-node-gpu");
    const found = libs().found.map((l) => l.dir);
    if (!after.ok)
      throw new Error(
        `the binding was built but does not load: ${after.error}. Try LD_LIBRARY_PATH=${[...new Set(found)].join(":")}`,
      );
    record("provisioned", `built against ${spec}`, "provision-gpu.json", spec);
    say("tensorflow-gpu backend: ready (provisioned from the TensorFlow 2.21 wheel)");
  } catch (e) {
    record("failed", String(e.message || e), "provision-gpu.json", cuda.GPU_WHEEL.spec);
    say(`tensorflow-gpu backend: provisioning failed: ${String(e.message || e).split("\n")[0]}`);
    say("run `npx ehr-msn doctor` for what to do");
  }
}

main();
if (!process.env.EHR_MSN_SKIP_PROVISION && os.platform() === "linux" && os.arch() === "x64") provisionGpu();
