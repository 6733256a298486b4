import * as fs from "node:fs";
import * as path from "node:path";
import { executeNotebook, ExecuteResult, venvPython } from "../../src/jupyter";
import { packageRoot } from "../../src/util/paths";

/** The notebooks folder of the repository. */
export const NOTEBOOKS = path.join(packageRoot(), "notebooks");

/** Why notebook tests cannot run here, or undefined when they can (`npm test` sets the venv up). */
export function notebookSkipReason(): string | false {
  return fs.existsSync(venvPython())
    ? false
    : "the Jupyter venv (.venv) is missing: run `npm run jupyter:setup` (npm test does it)";
}

/** Executes a notebook of notebooks/ and fails with the kernel's stderr when a cell fails. */
export function runNotebook(name: string, env: NodeJS.ProcessEnv = {}, timeoutS = 600): ExecuteResult {
  const out = path.join(packageRoot(), "test", "artifacts", name.replace(/\.ipynb$/, ".executed.ipynb"));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const r = executeNotebook(path.join(NOTEBOOKS, name), { out, timeoutS, env });
  if (!r.ok) throw new Error(`${name} failed:\n${r.stderr.slice(-4000)}`);
  return r;
}

/** All text a code cell printed (stdout and stderr streams). */
export function cellText(r: ExecuteResult, index: number): string {
  const cell = r.notebook.cells.filter((c) => c.cell_type === "code")[index];
  return (cell?.outputs ?? [])
    .filter((o) => o.output_type === "stream")
    .map((o) => (Array.isArray(o.text) ? o.text.join("") : (o.text ?? "")))
    .join("");
}
