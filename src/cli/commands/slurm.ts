import { Command, CommanderError, Option } from "commander";
import { slurmStatus, statusText, watchSlurm } from "../../pipeline";
import { runSlurmTask } from "../../pipeline/slurm/task";
import { intFlag } from "../flags";

/** `ehr-msn status RUN` (a study submitted with --slurm) and `slurm-task`, what its jobs run. */
export function registerSlurm(program: Command): void {
  program
    .command("status <run>")
    .description(
      "where a study submitted with --slurm stands: each task queued, running (step, epoch), done or failed (its log's last lines)",
    )
    .option(
      "--watch <seconds>",
      "look again every so many seconds until every task is done or one failed",
      intFlag("--watch"),
    )
    .action(async (run: string, flags: { watch?: number }) => {
      const status =
        flags.watch === undefined
          ? slurmStatus(run)
          : await watchSlurm(run, {
              everySeconds: flags.watch,
              quiet: true,
              onStatus: (s) => console.log(statusText(s) + "\n"),
            });
      if (flags.watch === undefined) console.log(statusText(status));
      if (status.tasks.some((t) => t.state === "failed"))
        throw new CommanderError(1, "ehr-msn.failed", "a task failed");
    });

  program
    .command("slurm-task <phase>", { hidden: true })
    .description("one task of a study submitted with --slurm (run by its batch scripts)")
    .addOption(new Option("--config <file>", "the submitted study config").makeOptionMandatory())
    .option("--index <n>", "the model's index (the array task id)", intFlag("--index"))
    .addOption(new Option("--until <stage>", "what a model task does").choices(["pretrain", "probe"]).default("probe"))
    .action(async (phase: string, flags: { config: string; index?: number; until: "pretrain" | "probe" }) => {
      if (phase !== "shared" && phase !== "model") throw new Error(`slurm-task: unknown phase ${phase}`);
      const code = await runSlurmTask({ config: flags.config, phase, index: flags.index, until: flags.until });
      // main() turns a CommanderError into its exit code: how the batch script learns the task was interrupted.
      if (code !== 0) throw new CommanderError(code, "ehr-msn.interrupted", "interrupted");
    });
}
