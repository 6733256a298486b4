import { test } from "node:test";
import * as assert from "node:assert/strict";
import { studyConfig } from "../../src/pipeline";
import { SLURM_DEFAULTS } from "../../src/pipeline/slurm/options";
import { InputError } from "../../src/util/errors";

const withSlurm = (slurm: unknown) => studyConfig({ slurm }, "study.yaml");

function refuses(slurm: unknown, message: RegExp): void {
  assert.throws(
    () => withSlurm(slurm),
    (e: unknown) => e instanceof InputError && message.test((e as Error).message),
  );
}

test("the slurm section defaults to 2 CPUs, no GPU, requeue with a signal 300 s before the time limit", () => {
  assert.deepEqual(studyConfig({}).slurm, SLURM_DEFAULTS);
  assert.deepEqual(SLURM_DEFAULTS, { gpus: 0, cpus: 2, extra: [], requeue: true, signalSeconds: 300 });
  const c = withSlurm({
    partition: "gpu",
    account: "lab-42",
    time: "1-12:00:00",
    gpus: 1,
    mem: "64G",
    extra: ["--qos=long"],
  });
  assert.deepEqual(c.slurm, {
    ...SLURM_DEFAULTS,
    partition: "gpu",
    account: "lab-42",
    time: "1-12:00:00",
    gpus: 1,
    mem: "64G",
    extra: ["--qos=long"],
  });
});

test("bad slurm options are named with their path in the file, before anything is submitted", () => {
  refuses({ time: "4h" }, /study\.yaml, slurm\.time: expected a Slurm time limit/);
  refuses({ mem: "lots" }, /slurm\.mem: expected memory such as "16G"/);
  refuses({ gpu: 1 }, /slurm\.gpu: expected one of partition, .*Did you mean "gpus"\?/);
  refuses({ gpus: -1 }, /slurm\.gpus: expected a non-negative integer/);
  refuses({ cpus: 0 }, /slurm\.cpus: expected a positive integer/);
  refuses({ partition: "gpu; rm -rf" }, /slurm\.partition: expected a name of letters/);
  refuses({ extra: ["--qos=long\n#SBATCH --x"] }, /slurm\.extra\[0\]: expected one sbatch option on one line/);
  refuses({ extra: "--qos=long" }, /slurm\.extra: expected a list of sbatch options/);
  refuses({ requeue: "yes" }, /slurm\.requeue: expected true or false/);
  refuses([], /slurm: expected a mapping of Slurm options/);
});
