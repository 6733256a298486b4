import { Command } from "commander";
import { registerDoctor } from "./doctor";
import { registerKernel } from "./kernel";
import { registerLab } from "./lab";
import { registerSynth } from "./synth";
import { registerCohort } from "./cohort";
import { registerStudy } from "./study";

/** Every sub-command registers itself here, in the order `--help` lists them. */
export const commands: ((program: Command) => void)[] = [
  registerSynth,
  registerCohort,
  registerStudy,
  registerKernel,
  registerLab,
  registerDoctor,
];
