import { Command, CommanderError } from "commander";
import { InputError } from "../util/errors";
import { commands } from "./commands";

/** `ehr-msn <command>`: exit code 0 only on success; user mistakes print one clear line, not a stack. */
export async function main(argv = process.argv): Promise<number> {
  const program = new Command("ehr-msn")
    .description("EHR-augmented Masked Siamese Networks for chest X-rays: cohort, pretraining, probing, figures.")
    .version(require("../../../package.json").version)
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv);
    // A command that finished with a verdict (doctor: no backend runs) sets process.exitCode.
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof InputError) {
      console.error(`ehr-msn: ${e.message}`);
      return 2;
    }
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
