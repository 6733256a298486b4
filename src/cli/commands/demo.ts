import { Command } from "commander";
import * as backend from "../../backend";

/**
 * `npm run demo`: the study end to end on the synthetic cohort. Until every stage has landed it
 * runs the stages that exist and names the ones that do not.
 */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("the study end to end on a synthetic cohort, written to runs/demo/report.html")
    .action(async () => {
      const info = await backend.init();
      console.log(`backend: ${info.name} (${info.threads} threads${info.gpu ? ", GPU" : ""})`);
      console.log("Not built yet: synthetic cohort, pretraining, linear probes, report (see the open issues).");
    });
}
