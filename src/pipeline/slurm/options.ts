/**
 * The `slurm:` section of a study config: what each job asks Slurm for, in Slurm's own terms, checked
 * before anything is submitted (a typo in a time limit fails here, not after hours in the queue).
 */
import { didYouMean } from "../../util/closest";
import { describeValue, InputError } from "../../util/errors";
import { checkBoolean, checkInt, checkString } from "../../util/validate";

export interface SlurmOptions {
  /** `--partition` and `--account` (the cluster's defaults when absent). */
  partition?: string;
  account?: string;
  /** `--time` of each job, in Slurm's formats ("90", "4:00:00", "1-12:00:00"). */
  time?: string;
  /** GPUs per model task (`--gres=gpu:N`); the shared and final jobs run on CPUs. */
  gpus: number;
  /** `--cpus-per-task` of every job. */
  cpus: number;
  /** `--mem` of every job ("16G", "64000M"); the cluster's default when absent. */
  mem?: string;
  /** Further `#SBATCH` lines, as on the command line: "--qos=long", "--constraint=a100". */
  extra: string[];
  /** `--requeue`, and the signal `signalSeconds` before the time limit that checkpoints and requeues a task. */
  requeue: boolean;
  signalSeconds: number;
}

export const SLURM_DEFAULTS: SlurmOptions = { gpus: 0, cpus: 2, extra: [], requeue: true, signalSeconds: 300 };

const KEYS = ["partition", "account", "time", "gpus", "cpus", "mem", "extra", "requeue", "signalSeconds"];
/** Slurm's time formats: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S. */
const TIME = /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2})$/;
const MEM = /^\d+[KMGT]?$/;
/** A partition, account or other name: what Slurm accepts without quoting in a batch script. */
const NAME = /^[A-Za-z0-9._@+-]+$/;

/** The checked options: the defaults, then `given` (the config's `slurm:` mapping). */
export function slurmOptions(given: unknown, file?: string): SlurmOptions {
  const err = (field: string, expected: string, found: unknown, hint?: string) =>
    new InputError({ file, field: `slurm.${field}`, expected, found: describeValue(found), hint });
  if (given === null || typeof given !== "object" || Array.isArray(given))
    throw new InputError({ file, field: "slurm", expected: "a mapping of Slurm options", found: describeValue(given) });
  for (const k of Object.keys(given))
    if (!KEYS.includes(k)) throw err(k, `one of ${KEYS.join(", ")}`, k, didYouMean(k, KEYS));
  const o = { ...SLURM_DEFAULTS, ...given } as SlurmOptions;
  for (const k of ["partition", "account"] as const)
    if (o[k] !== undefined && !NAME.test(checkString(o[k], `slurm.${k}`, { file })))
      throw err(k, "a name of letters, digits and . _ @ + -", o[k]);
  if (o.time !== undefined && !TIME.test(String(o.time)))
    throw err("time", 'a Slurm time limit such as "90", "4:00:00" or "1-12:00:00"', o.time);
  if (o.mem !== undefined && !MEM.test(String(o.mem))) throw err("mem", 'memory such as "16G" or "64000M"', o.mem);
  checkInt(o.gpus, "slurm.gpus", { min: 0, file });
  checkInt(o.cpus, "slurm.cpus", { min: 1, file });
  checkInt(o.signalSeconds, "slurm.signalSeconds", { min: 1, file });
  checkBoolean(o.requeue, "slurm.requeue", { file });
  if (!Array.isArray(o.extra)) throw err("extra", 'a list of sbatch options such as ["--qos=long"]', o.extra);
  o.extra.forEach((line, i) => {
    if (typeof line !== "string" || !/^--?[A-Za-z]/.test(line) || /[\n\r]/.test(line))
      throw err(`extra[${i}]`, 'one sbatch option on one line, such as "--qos=long"', line);
  });
  return o;
}
