import * as crypto from "crypto";
import * as path from "path";
import { spawn } from "child_process";
import { Command } from "commander";
import { setupJupyter } from "../../notebook/jupyter";
import { packageRoot } from "../../util/paths";

export function registerLab(program: Command): void {
  program
    .command("lab")
    .description("start the project's JupyterLab on 127.0.0.1 with a token, opened on notebooks/")
    .option("--port <n>", "port to listen on", "8888")
    .action((opts: { port: string }) => {
      const root = packageRoot();
      const { python } = setupJupyter({ quiet: true });
      const token = crypto.randomBytes(24).toString("hex");
      const args = [
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        `--port=${opts.port}`,
        `--IdentityProvider.token=${token}`,
        `--ServerApp.root_dir=${path.join(root, "notebooks")}`,
      ];
      if (process.getuid?.() === 0) args.push("--allow-root");
      console.log(`JupyterLab: http://127.0.0.1:${opts.port}/lab?token=${token}`);
      const lab = spawn(python, args, {
        stdio: "inherit",
        env: { ...process.env, JUPYTER_PATH: path.join(root, ".venv", "share", "jupyter") },
      });
      lab.on("exit", (code) => {
        process.exitCode = code ?? 1;
      });
    });
}
