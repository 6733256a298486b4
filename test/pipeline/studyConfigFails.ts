import * as assert from "node:assert/strict";
import { studyConfig } from "../../src/pipeline";
import { InputError } from "../../src/util/errors";

/** Asserts that `given`, read as the study config "study.yaml", is refused with an InputError matching `pattern`. */
export function fails(given: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(
    () => studyConfig(given, "study.yaml"),
    (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.match((e as Error).message, pattern);
      return true;
    },
  );
}
