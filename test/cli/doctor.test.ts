/**
 * `ehr-msn doctor` honours EHR_MSN_BACKEND (issue 19 item 9): an invalid value is named before any
 * check; a valid one is the backend the verdict names, and a forced backend that does not run here
 * is said to stop every command (exit 1), whatever the best backend of the machine.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { packageRoot } from "../../src/util/paths";

function doctor(backend: string) {
  return spawnSync(process.execPath, [path.join(packageRoot(), "bin", "ehr-msn.js"), "doctor"], {
    encoding: "utf8",
    env: { ...process.env, EHR_MSN_BACKEND: backend },
    timeout: 600_000,
  });
}

test("doctor names an invalid EHR_MSN_BACKEND at once", () => {
  const r = doctor("cuda");
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr,
    /^ehr-msn: EHR_MSN_BACKEND: expected one of tensorflow-gpu, webgpu, tensorflow, wasm, cpu, found "cuda"\./,
  );
});

test("doctor's verdict is the backend EHR_MSN_BACKEND forces, or says that it cannot run", () => {
  const r = doctor("tensorflow-gpu");
  const gpu = /^ok {3}tensorflow-gpu/m.test(r.stdout);
  const last = r.stdout.trim().split("\n").at(-1);
  if (gpu) {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(last, "The library will use: tensorflow-gpu (EHR_MSN_BACKEND)");
  } else {
    assert.match(r.stdout, /^no {3}tensorflow-gpu/m);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      last,
      "EHR_MSN_BACKEND=tensorflow-gpu, but tensorflow-gpu does not run here (see above): every command will stop. " +
        "Unset EHR_MSN_BACKEND to let the library choose, or name a backend marked ok.",
    );
  }
});
