/** The project-local Python venv (.venv) that holds the pinned JupyterLab, nbclient and nbconvert. */
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import { writeFileAtomic } from "../util/atomicWrite";
import { packageRoot } from "../util/paths";
import { installKernel, KERNEL_NAME } from "./kernel";
import { venvPython } from "./venvPaths";

/**
 * Creates the project-local venv (.venv) with the pinned Jupyter of kernel/requirements.txt and
 * registers the kernel in it. Skipped when the venv already matches the requirements.
 */
export function setupJupyter(opts: { quiet?: boolean } = {}): { python: string; kernelDir: string } {
  const root = packageRoot();
  const say = (m: string) => {
    if (!opts.quiet) console.log(`ehr-msn: ${m}`);
  };
  const reqFile = path.join(root, "kernel", "requirements.txt");
  const stamp = path.join(root, ".venv", ".ehr-msn-requirements");
  const want = crypto.createHash("sha256").update(fs.readFileSync(reqFile)).digest("hex");
  const py = venvPython(root);
  if (fs.existsSync(py) && readIf(stamp) === want) {
    say("jupyter venv is up to date (.venv)");
  } else {
    const base = process.env.EHR_MSN_PYTHON || "python3";
    if (!fs.existsSync(py)) {
      say(`creating .venv with ${base}`);
      run(base, ["-m", "venv", path.join(root, ".venv")]);
    }
    say("installing the pinned Jupyter into .venv (kernel/requirements.txt)");
    // One retry only: offline mirrors are configured as extra indexes beside an unreachable
    // default index, and pip's five backed-off retries per package would cost minutes.
    run(py, ["-m", "pip", "install", "--quiet", "--retries", "1", "-r", reqFile]);
    writeFileAtomic(stamp, want);
  }
  const kernelDir = installKernel({ prefix: path.join(root, ".venv") });
  say(`kernel "${KERNEL_NAME}" registered in ${path.relative(root, kernelDir)}`);
  return { python: py, kernelDir };
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} failed with exit code ${r.status}${r.error ? `: ${r.error.message}` : ""}`,
    );
}

function readIf(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
