import { Command } from "commander";
import { registerDoctor } from "./doctor";
import { registerKernel } from "./kernel";
import { registerLab } from "./lab";
import { registerSynth } from "./synth";
import { registerCohort } from "./cohort";
import { registerStudy } from "./study";
import { registerSlurm } from "./slurm";

/** Every sub-command registers itself here, in the order `--help` lists them. */
export const commands: ((program: Command) => void)[] = [
  registerSynth,
  registerCohort,
  registerStudy,
  registerSlurm,
  registerKernel,
  registerLab,
  registerDoctor,
];
