/**
 * The learning-rate schedules and stopping rule of the authors' downstream runs (method-reference §14, paper
 * Appendix A.3), with PyTorch / PyTorch Lightning semantics:
 * - `cosine`: CosineAnnealingLR(T_max = max epochs, eta_min 0), stepped once per epoch;
 * - `reduce`: ReduceLROnPlateau(mode "max", factor 0.5, patience 3, threshold 1e-4 relative) on the
 *   validation macro AUROC;
 * - early stopping: Lightning's EarlyStopping(mode "max", patience 5, min_delta 1e-5).
 */
import { learningRate } from "../train/schedules";
import { InputError, describeValue } from "../util/errors";
import { checkNumber } from "../util/validate";

/** One training run of the protocol. */
export interface RunSpec {
  /** Initial learning rate of Adam. */
  lr: number;
  scheduler: "cosine" | "reduce";
  /** Stop when the validation macro AUROC has not improved for `patience` epochs. */
  earlyStopping: boolean;
}

/**
 * The five runs of the paper's protocol: three learning rates with a cosine schedule and early
 * stopping, two with reduce-on-plateau and no early stopping. The paper's learning-rate values did
 * not survive in its text and the authors' code has no grid (method-reference §14 [gap]); these are our choice
 * around the code's default 1e-4. Pass `runs` to use others.
 */
export const PROTOCOL_RUNS: readonly RunSpec[] = [
  { lr: 1e-3, scheduler: "cosine", earlyStopping: true },
  { lr: 1e-4, scheduler: "cosine", earlyStopping: true },
  { lr: 1e-5, scheduler: "cosine", earlyStopping: true },
  { lr: 1e-3, scheduler: "reduce", earlyStopping: false },
  { lr: 1e-4, scheduler: "reduce", earlyStopping: false },
];

/** Checks a list of runs (InputError naming the bad entry). */
export function checkRuns(runs: readonly RunSpec[]): void {
  if (!Array.isArray(runs) || runs.length === 0)
    throw new InputError({
      field: "runs",
      expected: "at least one run { lr, scheduler, earlyStopping }",
      found: describeValue(runs),
    });
  runs.forEach((r, i) => {
    checkNumber(r.lr, `runs[${i}].lr`, { min: 0, minExclusive: true });
    if (r.scheduler !== "cosine" && r.scheduler !== "reduce")
      throw new InputError({
        field: `runs[${i}].scheduler`,
        expected: '"cosine" or "reduce"',
        found: describeValue(r.scheduler),
      });
  });
}

/** Learning rate of `epoch` (0-based) under CosineAnnealingLR(T_max = tMax, eta_min = 0): the training layer's per-epoch cosine. */
export function cosineLr(lr0: number, epoch: number, tMax: number): number {
  return learningRate(
    { lr: lr0, minLr: 0, unit: "epoch", warmupEpochs: 0, warmupStartLr: 0, stretch: 1 },
    { epoch, stepInEpoch: 0, epochs: tMax, stepsPerEpoch: 1 },
  );
}

/** PyTorch's ReduceLROnPlateau in mode "max" with a relative threshold and no cooldown. */
export class ReduceOnPlateau {
  lr: number;
  private best = -Infinity;
  private bad = 0;

  constructor(
    lr0: number,
    private readonly opts: { factor?: number; patience?: number; threshold?: number; minLr?: number } = {},
  ) {
    this.lr = lr0;
  }

  /** Records the epoch's metric; returns the learning rate of the next epoch. */
  step(metric: number): number {
    const { factor = 0.5, patience = 3, threshold = 1e-4, minLr = 0 } = this.opts;
    if (metric > this.best * (1 + threshold)) {
      this.best = metric;
      this.bad = 0;
    } else {
      this.bad++;
    }
    if (this.bad > patience) {
      const next = Math.max(this.lr * factor, minLr);
      // PyTorch skips updates smaller than eps = 1e-8.
      if (this.lr - next > 1e-8) this.lr = next;
      this.bad = 0;
    }
    return this.lr;
  }
}

/** Lightning's EarlyStopping in mode "max": improvement means exceeding the best by more than minDelta. */
export class EarlyStopping {
  best = -Infinity;
  private wait = 0;

  constructor(
    private readonly patience = 5,
    private readonly minDelta = 1e-5,
  ) {}

  /** Records the epoch's metric; true when training should stop now. */
  step(metric: number): boolean {
    if (metric - this.minDelta > this.best) {
      this.best = metric;
      this.wait = 0;
      return false;
    }
    this.wait++;
    return this.wait >= this.patience;
  }
}
