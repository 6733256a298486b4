/**
 * The epoch-level decisions a pretraining run makes on its training loss, with PyTorch Lightning's
 * rules as the authors' trainer sets them up (method-reference §11): which epoch's encoder to keep
 * (`ModelCheckpoint(monitor="train_loss", mode="min", save_top_k=1)`) and when to stop
 * (`EarlyStopping(monitor="train_loss", patience, min_delta)`). Pure functions of the epochs' mean
 * losses, so that a resumed run decides exactly as an uninterrupted one.
 */

/** Lightning's EarlyStopping on a loss: stop after `patience` epochs without a fall of more than `minDelta`. */
export interface EarlyStoppingRule {
  patience: number;
  minDelta: number;
}

/** The rule the paper describes and the authors' code defines (then switches off): patience 5, min delta 1e-5. */
export const PAPER_EARLY_STOPPING: EarlyStoppingRule = { patience: 5, minDelta: 1e-5 };

/** Mean loss of each complete epoch of a per-step loss history. */
export function epochMeanLosses(stepLosses: readonly number[], stepsPerEpoch: number): number[] {
  const epochs = Math.floor(stepLosses.length / stepsPerEpoch);
  return Array.from({ length: epochs }, (_, e) => {
    let sum = 0;
    for (let s = e * stepsPerEpoch; s < (e + 1) * stepsPerEpoch; s++) sum += stepLosses[s];
    return sum / stepsPerEpoch;
  });
}

/**
 * The epoch (0-based) with the lowest mean loss, -1 for none. Of equal losses the first is kept:
 * ModelCheckpoint replaces its file only on a strict improvement.
 */
export function lowestLossEpoch(epochLosses: readonly number[]): number {
  let best = -1;
  epochLosses.forEach((l, e) => {
    if (best < 0 || l < epochLosses[best]) best = e;
  });
  return best;
}

/**
 * The epoch (0-based) at whose end early stopping ends the run, -1 while it goes on. As Lightning's
 * EarlyStopping in mode "min": an epoch improves when its loss is below the best so far minus
 * `minDelta` (it then becomes the best and the count restarts); the run stops when `patience`
 * epochs in a row have not improved.
 */
export function earlyStopEpoch(epochLosses: readonly number[], rule: EarlyStoppingRule): number {
  let best = Infinity;
  let waited = 0;
  for (let e = 0; e < epochLosses.length; e++) {
    if (epochLosses[e] < best - rule.minDelta) {
      best = epochLosses[e];
      waited = 0;
    } else if (++waited >= rule.patience) {
      return e;
    }
  }
  return -1;
}
