import * as assert from "node:assert/strict";
import * as path from "node:path";
import { packageRoot } from "../../src/util/paths";

/** test/golden/<name> in the source tree (fixtures are not copied into dist). */
export function golden(name: string): string {
  return path.join(packageRoot(), "test", "golden", name);
}

/** Largest |got − want| relative to the largest |want| (a tensor-wide relative error). */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, "lengths differ");
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  assert.ok(scale > 0, "the reference is all zero: the comparison would prove nothing");
  return worst / scale;
}

/** Asserts relativeError(got, want) <= tol, naming `what`. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): number {
  const err = relativeError(got, want);
  assert.ok(Number.isFinite(err) && err <= tol, `${what}: relative error ${err.toExponential(2)} > ${tol}`);
  return err;
}
