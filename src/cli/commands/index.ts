import { Command } from "commander";
import { registerDemo } from "./demo";
import { registerDoctor } from "./doctor";
import { registerKernel } from "./kernel";
import { registerLab } from "./lab";
import { registerSynth } from "./synth";
import { registerCohort } from "./cohort";

/** Every sub-command registers itself here, in the order `--help` lists them. */
export const commands: ((program: Command) => void)[] = [registerDemo, registerKernel, registerLab, registerDoctor, registerSynth, registerCohort];
