/**
 * Explicit schedules (facebookresearch/msn style): the learning rate and the EMA momentum as plain
 * functions of the position in the run, so that any step can be recomputed (and resumed) exactly.
 */

export interface LrScheduleOptions {
  /** Peak (reference) learning rate. */
  lr: number;
  /** Learning rate the cosine ends at (eta_min; default 0). */
  minLr: number;
  /**
   * "epoch": one value per epoch, as CosineAnnealingLR(T_max = epochs) stepped by Lightning once per
   * epoch (the authors); "step": updated every optimizer step (the original MSN's WarmupCosineSchedule).
   */
  unit: "epoch" | "step";
  /** Linear warm-up length in epochs (default 0: none, as the authors; 15 in the original MSN). */
  warmupEpochs: number;
  /** Learning rate the warm-up starts from (the original MSN: 2e-4 rising to 1e-3). */
  warmupStartLr: number;
  /**
   * The cosine's length as a multiple of the run (default 1; the original MSN uses 1.25, so the run
   * ends before the cosine does).
   */
  stretch: number;
}

/** Position in a run: epoch, optimizer step within the epoch, and the run's size. */
export interface RunPosition {
  epoch: number;
  stepInEpoch: number;
  epochs: number;
  stepsPerEpoch: number;
}

/**
 * Learning rate at a position: linear warm-up from `warmupStartLr` to `lr`, then a half cosine from
 * `lr` to `minLr` over the rest of the (stretched) run. With unit "epoch" the position is the epoch
 * index, so without warm-up epoch e gets minLr + (lr − minLr)·(1 + cos(π·e/E))/2.
 */
export function learningRate(o: LrScheduleOptions, p: RunPosition): number {
  const perUnit = o.unit === "epoch" ? 1 : p.stepsPerEpoch;
  const t = o.unit === "epoch" ? p.epoch : p.epoch * p.stepsPerEpoch + p.stepInEpoch;
  const warmup = o.warmupEpochs * perUnit;
  if (t < warmup) return o.warmupStartLr + ((o.lr - o.warmupStartLr) * t) / warmup;
  const total = o.stretch * p.epochs * perUnit - warmup;
  const progress = total > 0 ? Math.min((t - warmup) / total, 1) : 1;
  return o.minLr + ((o.lr - o.minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
}

export interface MomentumScheduleOptions {
  /** EMA momentum (default 0.996). */
  momentum: number;
  /** "fixed" (the authors) or "linear": from `momentum` toward `momentumEnd` over stretch × the run's steps (the original MSN). */
  schedule: "fixed" | "linear";
  momentumEnd: number;
  /** Length of the linear ramp as a multiple of the run (the original MSN: 1.25). */
  stretch: number;
}

/** EMA momentum of global optimizer step `step` (0-based) of a run of `totalSteps` steps. */
export function emaMomentum(o: MomentumScheduleOptions, step: number, totalSteps: number): number {
  if (o.schedule === "fixed") return o.momentum;
  return o.momentum + ((o.momentumEnd - o.momentum) * step) / (o.stretch * totalSteps);
}
