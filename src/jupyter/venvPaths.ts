/** Where the project-local venv (.venv) keeps its python and its Jupyter data (kernels). */
import * as path from "path";
import { packageRoot } from "../util/paths";

/** The venv's python. */
export function venvPython(root = packageRoot()): string {
  return path.join(root, ".venv", "bin", "python");
}

/** The venv's Jupyter data folder, as JUPYTER_PATH for the processes started from it. */
export function venvJupyterPath(root = packageRoot()): string {
  return path.join(root, ".venv", "share", "jupyter");
}
