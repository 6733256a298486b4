import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import { packageRoot } from "../util/paths";

export const KERNEL_NAME = "ehr-msn";

export interface KernelInstallOptions {
  /** Install into the user's Jupyter data folder (~/.local/share/jupyter). */
  user?: boolean;
  /** Install under PREFIX/share/jupyter/kernels (a venv or conda prefix). */
  prefix?: string;
}

/**
 * Writes the "ehr-msn (TypeScript)" kernelspec (kernel/kernel.json with this project's node and
 * tslab filled in) and returns the folder it went to. Without options it goes to the project's
 * own venv when there is one, else to the user's folder.
 */
export function installKernel(opts: KernelInstallOptions = {}): string {
  const root = packageRoot();
  const base = opts.prefix
    ? path.join(path.resolve(opts.prefix), "share", "jupyter", "kernels")
    : opts.user || !fs.existsSync(venvPython(root))
      ? path.join(userJupyterDataDir(), "kernels")
      : path.join(root, ".venv", "share", "jupyter", "kernels");
  const dir = path.join(base, KERNEL_NAME);
  const template = fs.readFileSync(path.join(root, "kernel", "kernel.json"), "utf8");
  const tslab = require.resolve("tslab/bin/tslab", { paths: [root] });
  const spec = JSON.parse(template);
  spec.argv = spec.argv.map((a: string) => a.replace("{node}", process.execPath).replace("{tslab}", tslab));
  delete spec.metadata;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
  return dir;
}

function userJupyterDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  return path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share"), "jupyter");
}

export function venvPython(root = packageRoot()): string {
  return path.join(root, ".venv", "bin", "python");
}

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
    fs.writeFileSync(stamp, want);
  }
  const kernelDir = installKernel({ prefix: path.join(root, ".venv") });
  say(`kernel "${KERNEL_NAME}" registered in ${path.relative(root, kernelDir)}`);
  return { python: py, kernelDir };
}

export interface ExecuteResult {
  ok: boolean;
  /** The executed notebook, as nbformat JSON. */
  notebook: { cells: { cell_type: string; source: string | string[]; outputs?: NotebookOutput[] }[] };
  stderr: string;
}

export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}

/** Runs a notebook headless through the registered kernel (nbclient) and returns the executed copy. */
export function executeNotebook(
  notebook: string,
  opts: { out?: string; timeoutS?: number; env?: NodeJS.ProcessEnv } = {},
): ExecuteResult {
  const root = packageRoot();
  const out = opts.out ?? path.join(os.tmpdir(), `ehr-msn-${process.pid}-${path.basename(notebook)}`);
  const r = spawnSync(
    venvPython(root),
    [
      path.join(root, "kernel", "execute.py"),
      notebook,
      out,
      "--kernel",
      KERNEL_NAME,
      "--timeout",
      String(opts.timeoutS ?? 600),
      "--cwd",
      path.dirname(path.resolve(notebook)),
    ],
    {
      encoding: "utf8",
      env: { ...process.env, ...opts.env, JUPYTER_PATH: path.join(root, ".venv", "share", "jupyter") },
      maxBuffer: 256 << 20,
    },
  );
  const nb = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : { cells: [] };
  return { ok: r.status === 0, notebook: nb, stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
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
