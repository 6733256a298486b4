import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { packageRoot } from "../util/paths";
import { BACKENDS, BackendName } from "./init";

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
  const provision = readProvision(root);
  return BACKENDS.map((name) => {
    const r = spawnSync(process.execPath, ["-e", probeScript(name)], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, EHR_MSN_BACKEND: name, TF_CPP_MIN_LOG_LEVEL: "2" },
      timeout: 120_000,
    });
    const ok = r.status === 0;
    const detail = ok
      ? r.stdout.trim()
      : ((r.stderr || r.stdout || String(r.error ?? "")).trim().split("\n").filter(Boolean).slice(-1)[0] ?? "failed");
    return { backend: name, ok, detail, fix: ok ? undefined : fixFor(name, provision) };
  });
}

function probeScript(name: BackendName): string {
  return (
    `
    const backend = require(${JSON.stringify(path.join(packageRoot(), "dist", "src", "backend", "index.js"))});
    const tf = require("@tensorflow/tfjs");
    backend.init({ quiet: true }).then((i) => {
      const y = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync()[0];
      if (y !== 64) throw new Error("wrong matMul result " + y);
      console.log(JSON.stringify(i));
    }).catch((e) => { console.error(e.message); process.exit(1); });`.replace(/\n\s*/g, " ") + `/* ${name} */`
  );
}

function fixFor(name: BackendName, provision: { outcome?: string; detail?: string } | undefined): string {
  switch (name) {
    case "tensorflow-gpu":
      return (
        "Needs an NVIDIA GPU with CUDA 11.2 / cuDNN 8 libraries and @tensorflow/tfjs-node-gpu built against them. " +
        "On this machine the tensorflow backend (CPU) is the fast choice."
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

function readProvision(root: string): { outcome?: string; detail?: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, "node_modules", ".ehr-msn", "provision.json"), "utf8"));
  } catch {
    return undefined;
  }
}
