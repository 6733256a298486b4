/**
 * The project's JupyterLab (the `.venv` made by `npm run jupyter:setup`) on 127.0.0.1 with a random
 * token: `openLab` for a user (`ehr-msn lab`), `startLab` for the browser test, which waits until the
 * server answers and keeps its settings, workspaces and runtime files in a private folder so that
 * nothing of the user's Jupyter is read or changed.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ChildProcess, spawn } from "child_process";
import { writeJsonAtomic } from "../util/atomicWrite";
import { packageRoot } from "../util/paths";
import { setupJupyter } from "./venv";
import { venvJupyterPath, venvPython } from "./venvPaths";

export interface LabServer {
  /** http://127.0.0.1:PORT */
  url: string;
  token: string;
  port: number;
  /** The server's stdout and stderr so far (for error messages). */
  log(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its private folder. */
  stop(): Promise<void>;
}

export interface LabOptions {
  /** Folder the server shows; notebooks must lie under the project for `import "ehr-msn"` to resolve. */
  rootDir: string;
  /** Give up when the server has not answered after this long; default 60 s. */
  timeoutMs?: number;
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `python -m jupyter lab` on 127.0.0.1:`port`, with `token`, showing `rootDir`. */
function labArgs(port: number, token: string, rootDir: string): string[] {
  const args = [
    "-m",
    "jupyter",
    "lab",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${path.resolve(rootDir)}`,
  ];
  if (process.getuid?.() === 0) args.push("--allow-root");
  return args;
}

/**
 * Sets the venv up when needed and runs JupyterLab on `notebooks/` in the foreground (its output on
 * this terminal); returns the server process and the URL to open.
 */
export function openLab(port: number): { url: string; server: ChildProcess } {
  const root = packageRoot();
  const { python } = setupJupyter({ quiet: true });
  const token = crypto.randomBytes(24).toString("hex");
  const server = spawn(python, labArgs(port, token, path.join(root, "notebooks")), {
    stdio: "inherit",
    env: { ...process.env, JUPYTER_PATH: venvJupyterPath(root) },
  });
  return { url: `http://127.0.0.1:${port}/lab?token=${token}`, server };
}

/** Starts JupyterLab in a private profile and resolves once it answers (the browser test's server). */
export async function startLab(opts: LabOptions): Promise<LabServer> {
  const root = packageRoot();
  const python = venvPython(root);
  if (!fs.existsSync(python))
    throw new Error(`JupyterLab is not set up (${python} is missing): run \`npm run jupyter:setup\``);
  const token = crypto.randomBytes(24).toString("hex");
  const port = await freePort();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-lab-"));
  // No news prompt or update check (nothing goes over the network, nothing covers the page), and
  // a notebook's own kernel starts without a "Select Kernel" dialog.
  const settings = (plugin: string, values: Record<string, unknown>) => {
    const file = path.join(home, "settings", "@jupyterlab", plugin);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeJsonAtomic(file, values);
  };
  settings("apputils-extension/notification.jupyterlab-settings", { fetchNews: "false", checkForUpdates: false });
  settings("notebook-extension/tracker.jupyterlab-settings", { autoStartDefaultKernel: true });
  const args = [
    ...labArgs(port, token, opts.rootDir),
    "--ServerApp.port_retries=0",
    `--LabApp.workspaces_dir=${path.join(home, "workspaces")}`,
    `--LabApp.user_settings_dir=${path.join(home, "settings")}`,
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.news_url=None",
  ];
  let output = "";
  const child: ChildProcess = spawn(python, args, {
    cwd: opts.rootDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      JUPYTER_PATH: venvJupyterPath(root),
      JUPYTER_CONFIG_DIR: path.join(home, "config"),
      JUPYTER_RUNTIME_DIR: path.join(home, "runtime"),
      JUPYTER_DATA_DIR: path.join(home, "data"),
      JUPYTER_PLATFORM_DIRS: "1",
    },
    detached: false,
  });
  child.stdout?.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (output += b.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(home, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`JupyterLab exited with code ${child.exitCode}:\n${output.slice(-3000)}`);
      if (Date.now() > deadline)
        throw new Error(`JupyterLab did not answer within ${opts.timeoutMs ?? 60_000} ms:\n${output.slice(-3000)}`);
      try {
        const r = await fetch(`${url}/api/status`, {
          headers: { Authorization: `token ${token}` },
          signal: AbortSignal.timeout(5000),
        });
        if (r.ok) break;
      } catch {
        // Not listening (or not answering) yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, token, port, log: () => output, stop };
}
