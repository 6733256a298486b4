/** The "ehr-msn (TypeScript)" kernelspec: tslab run by this project's node, registered with a Jupyter. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeJsonAtomic } from "../util/atomicWrite";
import { packageRoot } from "../util/paths";
import { venvJupyterPath, venvPython } from "./venvPaths";

export const KERNEL_NAME = "ehr-msn";

export interface KernelInstallOptions {
  /** Install into the user's Jupyter data folder (~/.local/share/jupyter). */
  user?: boolean;
  /** Install under PREFIX/share/jupyter/kernels (a venv or conda prefix). */
  prefix?: string;
}

/**
 * Writes the "ehr-msn (TypeScript)" kernelspec (kernel/kernel.json with this project's node and
 * tslab's launcher filled in) and returns the folder it went to. Without options it goes to the project's
 * own venv when there is one, else to the user's folder.
 */
export function installKernel(opts: KernelInstallOptions = {}): string {
  const root = packageRoot();
  const base = opts.prefix
    ? path.join(path.resolve(opts.prefix), "share", "jupyter", "kernels")
    : opts.user || !fs.existsSync(venvPython(root))
      ? path.join(userJupyterDataDir(), "kernels")
      : path.join(venvJupyterPath(root), "kernels");
  const dir = path.join(base, KERNEL_NAME);
  const template = fs.readFileSync(path.join(root, "kernel", "kernel.json"), "utf8");
  // tslab, started by a launcher that binds its sockets in a safe order (tslabKernel.ts says why).
  const launcher = path.join(__dirname, "tslabKernel.js");
  const spec = JSON.parse(template);
  spec.argv = spec.argv.map((a: string) => a.replace("{node}", process.execPath).replace("{launcher}", launcher));
  delete spec.metadata;
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path.join(dir, "kernel.json"), spec);
  return dir;
}

function userJupyterDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  return path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share"), "jupyter");
}
