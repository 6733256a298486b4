import { Command } from "commander";
import { installKernel, setupJupyter } from "../../jupyter";

export function registerKernel(program: Command): void {
  const kernel = program.command("kernel").description('the Jupyter kernel "ehr-msn (TypeScript)"');
  kernel
    .command("install")
    .description("register the kernel with a Jupyter (the project's .venv by default)")
    .option("--user", "into your user Jupyter folder (~/.local/share/jupyter)")
    .option("--prefix <dir>", "into DIR/share/jupyter/kernels (a venv or conda prefix)")
    .action((opts: { user?: boolean; prefix?: string }) => {
      console.log(`kernel installed in ${installKernel(opts)}`);
    });
  kernel
    .command("setup")
    .description("create the project-local .venv with the pinned JupyterLab and register the kernel in it")
    .action(() => {
      setupJupyter();
    });
}
