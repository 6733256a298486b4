/** Headless execution of a notebook through the registered kernel (kernel/execute.py, nbclient). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { packageRoot } from "../util/paths";
import { KERNEL_NAME } from "./kernel";
import { venvJupyterPath, venvPython } from "./venvPaths";

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
      env: { ...process.env, ...opts.env, JUPYTER_PATH: venvJupyterPath(root) },
      maxBuffer: 256 << 20,
    },
  );
  const nb = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : { cells: [] };
  return { ok: r.status === 0, notebook: nb, stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}
