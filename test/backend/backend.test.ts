import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { makeParams, parityLoss, parityValues } from "../support/parityModel";

const forced = process.env.EHR_MSN_BACKEND;

test(
  "init() picks the tensorflow backend on this machine kind and info() repeats it",
  { skip: forced ? `EHR_MSN_BACKEND=${forced} forces a backend` : false },
  async () => {
    const chosen = await backend.init();
    assert.equal(chosen.name, "tensorflow", `fell back: ${JSON.stringify(chosen.fallbacks)}`);
    assert.equal(chosen.gpu, false);
    assert.ok(chosen.threads >= 1);
    assert.deepEqual(backend.info(), chosen);
    // The GPU variants were tried first and their reasons recorded, not silently skipped.
    assert.equal(chosen.fallbacks[0]?.name, "tensorflow-gpu");
    assert.equal(chosen.fallbacks[1]?.name, "webgpu");
    assert.match(chosen.fallbacks[1].reason, /^no GPU adapter/);
  },
);

test("an unknown EHR_MSN_BACKEND is an error that lists the valid names", () => {
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      `require(${JSON.stringify(path.resolve(__dirname, "../../src/backend/index.js"))}).init().catch(e => { console.error(e.message); process.exit(3); })`,
    ],
    {
      env: { ...process.env, EHR_MSN_BACKEND: "webgl" },
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 3);
  assert.match(
    r.stderr,
    /EHR_MSN_BACKEND: expected one of tensorflow-gpu, webgpu, tensorflow, wasm, cpu, found "webgl"/,
  );
});

test("EHR_MSN_BACKEND forces the named backend", () => {
  const r = spawnSync(
    process.execPath,
    [
      "-e",
      `require(${JSON.stringify(path.resolve(__dirname, "../../src/backend/index.js"))}).init().then(i => console.log(i.name))`,
    ],
    {
      env: { ...process.env, EHR_MSN_BACKEND: "cpu" },
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "cpu");
});

async function lossAndGrads(name: backend.BackendName): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  await backend.init({ prefer: name, quiet: true });
  assert.equal(backend.info().name, name);
  const { params: values, x: xValues } = parityValues();
  const params = makeParams(values);
  const x = tf.tensor4d(xValues, [2, 8, 8, 3]);
  const { value, grads } = tf.variableGrads(() => parityLoss(params, x));
  const out = { loss: (await value.data())[0], grads: {} as Record<string, Float32Array> };
  for (const [k, v] of Object.entries(params as unknown as Record<string, tf.Variable>)) {
    out.grads[k] = (await grads[v.name].data()) as Float32Array;
  }
  tf.dispose([value, x, ...Object.values(grads), ...Object.values(params)]);
  return out;
}

test(
  "the same forward+backward gives equal results on tensorflow, wasm and cpu (1e-4)",
  { skip: forced ? "a backend is forced" : false },
  async () => {
    const ref = await lossAndGrads("cpu");
    assert.ok(Number.isFinite(ref.loss) && ref.loss > 0);
    for (const name of ["tensorflow", "wasm"] as const) {
      const got = await lossAndGrads(name);
      assert.ok(
        Math.abs(got.loss - ref.loss) <= 1e-4 * Math.max(1, Math.abs(ref.loss)),
        `${name} loss ${got.loss} vs cpu ${ref.loss}`,
      );
      for (const [k, g] of Object.entries(ref.grads)) {
        let worst = 0;
        for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(got.grads[k][i] - g[i]));
        assert.ok(worst <= 1e-4, `${name} gradient of ${k} differs from cpu by ${worst}`);
        assert.ok(
          g.some((v) => v !== 0),
          `gradient of ${k} is all zero: the check would prove nothing`,
        );
      }
    }
  },
);

test("tf.memory().numTensors does not grow across 50 training steps", async () => {
  for (const name of forced ? [forced as backend.BackendName] : (["tensorflow", "wasm"] as const)) {
    await backend.init({ prefer: name, quiet: true });
    const { params: values, x: xValues } = parityValues(2);
    const params = makeParams(values);
    const x = tf.tensor4d(xValues, [2, 8, 8, 3]);
    const opt = tf.train.adam(1e-2);
    const counts: number[] = [];
    const losses: number[] = [];
    for (let step = 1; step <= 50; step++) {
      const loss = opt.minimize(() => parityLoss(params, x), true)!;
      losses.push((await loss.data())[0]);
      loss.dispose();
      counts.push(tf.memory().numTensors);
    }
    assert.equal(counts[49], counts[1], `${name}: ${counts[1]} tensors after step 2, ${counts[49]} after step 50`);
    assert.ok(losses[49] < losses[0], `${name}: the loss did not go down (${losses[0]} -> ${losses[49]})`);
    opt.dispose();
    tf.dispose([x, ...Object.values(params as unknown as Record<string, tf.Variable>)]);
  }
});
