/**
 * The webgpu backend through Dawn on SwiftShader (no GPU needed): it starts only when named, names its
 * adapter, and the ViT-shaped toy model's loss and gradients equal the cpu backend's.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { makeParams, parityLoss, parityValues } from "../support/parityModel";
import { forceWebgpu, webgpuSkipReason } from "./webgpuSupport";

const skip = webgpuSkipReason();
if (skip) console.log(`webgpu tests skipped: ${skip}`);

async function lossAndGrads(): Promise<{ loss: number; grads: Float32Array[] }> {
  const { params: values, x: xValues } = parityValues();
  const params = makeParams(values);
  const x = tf.tensor4d(xValues, [2, 8, 8, 3]);
  const { value, grads } = tf.variableGrads(() => parityLoss(params, x));
  const vars = Object.values(params as unknown as Record<string, tf.Variable>);
  const out = { loss: (await value.data())[0], grads: [] as Float32Array[] };
  for (const v of vars) out.grads.push((await grads[v.name].data()) as Float32Array);
  tf.dispose([value, x, ...Object.values(grads), ...vars]);
  return out;
}

test("EHR_MSN_BACKEND=webgpu starts webgpu on the software adapter and names it", { skip }, async () => {
  forceWebgpu();
  const i = await backend.init({ quiet: true });
  assert.equal(i.name, "webgpu");
  assert.equal(tf.getBackend(), "webgpu");
  assert.ok(i.adapter, "the adapter is reported");
  assert.equal(i.adapter.software, true);
  assert.match(i.adapter.description, /SwiftShader/);
  assert.equal(i.gpu, false, "a software adapter is not a GPU");
  assert.ok(i.adapter.limits.maxBufferSize >= 2 ** 28);
});

test("the gradient of a slice of a 5-D tensor (PadV2, our webgpu fix) equals the cpu backend's", { skip }, async () => {
  forceWebgpu();
  await backend.init({ quiet: true });
  // The attention's qkv split: [3, B, H, T, D/H] sliced along the first axis, then differentiated.
  const x = Float32Array.from({ length: 3 * 2 * 2 * 3 * 4 }, (_, i) => Math.sin(i));
  const grad = async (name: string) => {
    await tf.setBackend(name);
    const g = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(tf.slice(t, [1, 0, 0, 0, 0], [1, -1, -1, -1, -1]), t.slice([2], [1]))),
    );
    const out = g(tf.tensor(x, [3, 2, 2, 3, 4]));
    return out.data();
  };
  const want = await grad("cpu");
  const got = await grad("webgpu");
  assert.deepEqual(Array.from(got), Array.from(want));
  assert.ok(want.some((v) => v !== 0));
});

test("the toy ViT's loss and gradients on webgpu equal the cpu backend's (1e-4)", { skip }, async () => {
  forceWebgpu();
  // The cpu backend is always registered: the reference is computed in the same process.
  await tf.setBackend("cpu");
  const ref = await lossAndGrads();
  assert.equal((await backend.init({ quiet: true })).name, "webgpu");
  await tf.setBackend("webgpu");
  const got = await lossAndGrads();
  assert.ok(Math.abs(got.loss - ref.loss) <= 1e-4 * Math.max(1, Math.abs(ref.loss)), `loss ${got.loss} vs ${ref.loss}`);
  ref.grads.forEach((g, k) => {
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(got.grads[k][i] - g[i]));
    assert.ok(worst <= 1e-4, `gradient ${k} differs from cpu by ${worst}`);
    assert.ok(
      g.some((v) => v !== 0),
      `gradient ${k} is all zero: the check would prove nothing`,
    );
  });
});
