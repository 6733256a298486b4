/**
 * Child process of the kill-and-resume test: runs (or resumes) the test's pretraining run in the folder
 * given as argument and prints "step N" after every step, so the parent can kill it mid-run.
 */
import * as backend from "../../src/backend";
import { pretrainOnSource } from "../../src/train/pretrain";
import { RESUME_RUN, RESUME_SOURCE } from "./resumeRun";
import { syntheticSource } from "./support";

async function main(): Promise<void> {
  await backend.init({ quiet: true });
  const r = await pretrainOnSource(RESUME_RUN, syntheticSource(RESUME_SOURCE), {
    dir: process.argv[2],
    resume: true,
    quiet: true,
    callbacks: {
      onStep: ({ step }) => {
        process.stdout.write(`step ${step}\n`);
      },
    },
  });
  r.model.dispose();
  process.stdout.write("done\n");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
