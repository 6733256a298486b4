import { Command } from "commander";
import { openLab } from "../../jupyter/lab";
import { intFlag } from "../flags";

export function registerLab(program: Command): void {
  program
    .command("lab")
    .description("start the project's JupyterLab on 127.0.0.1 with a token, opened on notebooks/")
    .option("--port <n>", "port to listen on", intFlag("--port", { min: 1, max: 65535 }), 8888)
    .action((opts: { port: number }) => {
      const { url, server } = openLab(opts.port);
      console.log(`JupyterLab: ${url}`);
      server.on("exit", (code) => {
        process.exitCode = code ?? 1;
      });
    });
}
