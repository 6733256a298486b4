/**
 * `npm run bench -- gpu --prepare [--out DIR] [--no-smoke]`: one folder under 60 MiB (default
 * dist/gpu-check/ehr-msn-gpu-check) that runs the GPU check (bench/gpu/check.ts) on a bare Linux x86-64 GPU
 * machine with no network and no Node.js, then its smoke test here (SwiftShader). The folder holds: this Node binary (process.execPath, gzip), the check bundled
 * by esbuild with TensorFlow.js and tfjs-backend-webgpu, the `webgpu` package with Dawn's dawn.node (gzip),
 * libvulkan.so.1 (used only when the machine has none), the golden fixtures, the PyTorch side and run.sh.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { spawnSync } from "child_process";
import { packageRoot } from "../../src/util/paths";
import { arg } from "../backend";

/** Above this the folder no longer fits the budget. */
const MAX_BYTES = 60 * 2 ** 20;

const RUN_SH = `#!/bin/sh
# The ehr-msn GPU check: ./run.sh [--smoke] [--batch 64] [--steps 3]. Needs glibc >= 2.34 (Dawn), an NVIDIA
# (or AMD/Intel) Vulkan driver, and nothing else; PyTorch is compared when python3 can import torch.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
unpack() { [ -f "$2" ] || { gzip -dc "$1" > "$2.part" && chmod +x "$2.part" && mv "$2.part" "$2"; }; }
unpack "$here/bin/node.gz" "$here/bin/node"
unpack "$here/node_modules/webgpu/dist/linux-x64/dawn.node.gz" "$here/node_modules/webgpu/dist/linux-x64/dawn.node"
# Appended, so that the machine's own libvulkan.so.1 wins when it has one.
export LD_LIBRARY_PATH="\${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$here/lib"
# NVIDIA's Vulkan driver is libGLX_nvidia.so.0; its json manifest is often missing in containers: write one.
if [ -z "\${VK_DRIVER_FILES:-}\${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json >/dev/null 2>&1; then
  lib="$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\\.so\\.0/ {print $NF; exit}')"
  if [ -n "$lib" ]; then
    printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\\n' "$lib" > "$here/nvidia_icd.json"
    export VK_ADD_DRIVER_FILES="$here/nvidia_icd.json"
  fi
fi
export EHR_MSN_BACKEND=webgpu
exec "$here/bin/node" "$here/dist/bench/gpu/main.js" "$@"
`;

export async function prepare(args: string[]): Promise<void> {
  const root = packageRoot();
  const out = path.resolve(arg(args, "out", path.join(root, "dist", "gpu-check", "ehr-msn-gpu-check")));
  fs.rmSync(out, { recursive: true, force: true });
  const copy = (from: string, to: string) => {
    fs.mkdirSync(path.dirname(path.join(out, to)), { recursive: true });
    fs.copyFileSync(from, path.join(out, to));
  };
  const gzip = (from: string, to: string) => {
    fs.mkdirSync(path.dirname(path.join(out, to)), { recursive: true });
    fs.writeFileSync(path.join(out, to), zlib.gzipSync(fs.readFileSync(from), { level: 9 }));
  };

  // The bundle keeps dist's layout (dist/bench/gpu/main.js) so that packageRoot() is the folder itself.
  const stub = path.join(out, "sharp-stub.js");
  fs.mkdirSync(out, { recursive: true });
  // Image decoding (sharp, native) is imported by the training module but never used by the check.
  fs.writeFileSync(stub, 'module.exports = () => { throw new Error("sharp is not part of the GPU check"); };\n');
  const esbuild = require("esbuild") as typeof import("esbuild");
  await esbuild.build({
    entryPoints: [path.join(root, "dist", "bench", "gpu", "main.js")],
    outfile: path.join(out, "dist", "bench", "gpu", "main.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // Dawn's package finds dawn.node next to itself; the wasm backend is never chosen by the check; danfo
    // (15 MB with plotly, mathjs, xlsx and tfjs-node) is required only by tables as DataFrames, which it never makes.
    external: ["webgpu", "@tensorflow/tfjs-backend-wasm", "danfojs-node"],
    alias: { sharp: stub },
    logLevel: "error",
  });
  fs.rmSync(stub);

  const webgpu = path.dirname(require.resolve("webgpu/package.json", { paths: [root] }));
  for (const f of ["package.json", "index.js", "LICENSE.md"])
    if (fs.existsSync(path.join(webgpu, f))) copy(path.join(webgpu, f), path.join("node_modules", "webgpu", f));
  gzip(path.join(webgpu, "dist", "linux-x64", "dawn.node"), "node_modules/webgpu/dist/linux-x64/dawn.node.gz");
  gzip(process.execPath, "bin/node.gz");
  const vulkan = ["/lib/x86_64-linux-gnu/libvulkan.so.1", "/usr/lib/x86_64-linux-gnu/libvulkan.so.1"].find((f) =>
    fs.existsSync(f),
  );
  if (vulkan) copy(fs.realpathSync(vulkan), "lib/libvulkan.so.1");
  else
    console.warn("libvulkan.so.1 not found here: the folder relies on the GPU machine's (apt-get install libvulkan1)");
  for (const f of ["msn_weights.safetensors", "msn_inputs.safetensors", "msn_expected.safetensors", "msn_reference.py"])
    copy(path.join(root, "test", "golden", f), path.join("test", "golden", f));
  for (const f of ["msn_pretrain.py", "step_timing.py"])
    copy(path.join(root, "bench", "python", f), path.join("bench", "python", f));
  fs.writeFileSync(path.join(out, "run.sh"), RUN_SH, { mode: 0o755 });

  const bytes = folderBytes(out);
  console.log(
    `prepared ${out}: ${(bytes / 2 ** 20).toFixed(1)} MiB (limit ${MAX_BYTES / 2 ** 20} MiB); Node ${process.version} needs glibc >= 2.28, dawn.node glibc >= 2.34`,
  );
  if (bytes > MAX_BYTES) throw new Error(`the folder is ${bytes} bytes, over ${MAX_BYTES}`);
  if (args.includes("--no-smoke")) return;
  console.log("smoke test of the folder here (toy sizes, any adapter):");
  // A clean environment: the folder must not lean on this tree's node_modules or a forced backend.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: "" };
  delete env.EHR_MSN_BACKEND;
  const r = spawnSync("sh", [path.join(out, "run.sh"), "--smoke"], { stdio: "inherit", env, cwd: out });
  if (r.status !== 0) throw new Error(`the smoke test failed (exit ${r.status})`);
}

function folderBytes(dir: string): number {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
}
