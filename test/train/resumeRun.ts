import type { PretrainConfig } from "../../src/train/config";
import { SyntheticOptions, TINY } from "./support";

/** The run the kill-and-resume test interrupts: 4 epochs of 4 steps, a checkpoint every 3 steps. */
export const RESUME_RUN: Partial<PretrainConfig> = { ...TINY, epochs: 4, checkpointEvery: 3, keepCheckpoints: 2 };
export const RESUME_SOURCE: SyntheticOptions = { images: 32, batchSize: 8, ehrFeatures: ["a", "b", "c"], seed: 5 };
