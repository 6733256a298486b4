/**
 * The model's checks against PyTorch (test/golden/msn_reference.py, float64), shared by the golden tests of
 * every backend. Reads are asynchronous (`await data()`): the webgpu backend cannot read synchronously.
 */
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MsnModel, MsnModelOptions } from "../../src/model/msn";
import { readSafetensors, SafeTensor } from "../../src/model/safetensors";
import { assertClose, golden } from "./support";

export const OPTIONS: MsnModelOptions = {
  vit: { dim: 32, layers: 2, heads: 2, mlpDim: 128, patch: 4, imageSize: 56, channels: 3 },
  numPrototypes: 16,
  ehrIn: 3,
  ehrDim: 128,
};

export interface Fixtures {
  weights: Map<string, SafeTensor>;
  inputs: Map<string, SafeTensor>;
  expected: Map<string, SafeTensor>;
}

export function loadFixtures(): Fixtures {
  return {
    weights: readSafetensors(golden("msn_weights.safetensors")).tensors,
    inputs: readSafetensors(golden("msn_inputs.safetensors")).tensors,
    expected: readSafetensors(golden("msn_expected.safetensors")).tensors,
  };
}

const tensor = (t: SafeTensor) => tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? "int32" : "float32");

/** The expected values named `name`. */
export function want(f: Fixtures, name: string): SafeTensor["data"] {
  const t = f.expected.get(name);
  assert.ok(t, `fixture has ${name}`);
  return t.data;
}

export function batch(f: Fixtures) {
  const g = (n: string) => tensor(f.inputs.get(n)!);
  return {
    target: g("target") as tf.Tensor4D,
    x: {
      anchor: g("anchor") as tf.Tensor4D,
      focal: g("focal") as tf.Tensor4D,
      ehr: g("ehr") as tf.Tensor2D,
      anchorKeep: g("anchor_keep") as tf.Tensor2D,
      focalKeep: g("focal_keep") as tf.Tensor2D,
    },
  };
}

export function loadedModel(f: Fixtures, opts = OPTIONS): MsnModel {
  const m = new MsnModel(opts);
  m.loadState(f.weights, "msn_weights.safetensors");
  return m;
}

/** CLS embeddings and projection outputs within `tol`; returns the four relative errors. */
export async function checkEmbeddings(f: Fixtures, tol: number): Promise<number[]> {
  const m = loadedModel(f);
  const { target, x } = batch(f);
  const outs = tf.tidy(() => [
    m.target.embed(target),
    m.anchorEmbeddings(x),
    m.targetOutputs(target),
    m.anchorOutputs(x),
  ]);
  const [targetCls, anchorCls, targetOut, anchorOut] = await Promise.all(outs.map((t) => t.data()));
  const errs = [
    assertClose(targetCls, want(f, "target_cls"), tol, "target CLS"),
    assertClose(anchorCls, want(f, "anchor_cls"), tol, "anchor CLS (masked, 224- and 96-style views)"),
    assertClose(targetOut, want(f, "target_out"), tol, "target projection"),
    assertClose(anchorOut, want(f, "anchor_out"), tol, "anchor projection (EHR fused)"),
  ];
  tf.dispose([...outs, target, ...Object.values(x)]);
  m.dispose();
  return errs;
}

/** The MSN loss, EHR-MSN and vanilla MSN, within `tol`. */
export async function checkLoss(f: Fixtures, tol: number): Promise<void> {
  const { target, x } = batch(f);
  const m = loadedModel(f);
  const scalar = async (t: tf.Scalar) => {
    const v = (await t.data())[0];
    t.dispose();
    return v;
  };
  const loss = await scalar(m.loss(target, x));
  assertClose([loss], want(f, "loss"), tol, "loss");
  const vanilla = loadedModel(f, { ...OPTIONS, ehrIn: 0 });
  const lossVanilla = await scalar(vanilla.loss(target, { ...x, ehr: undefined }));
  assertClose([lossVanilla], want(f, "loss_vanilla"), tol, "vanilla loss");
  assert.notEqual(Math.round(loss * 1e4), Math.round(lossVanilla * 1e4));
  tf.dispose([target, ...Object.values(x)]);
  m.dispose();
  vanilla.dispose();
}

/**
 * Loss (within `lossTol`) and gradients of every trained parameter (within `gradTol`) against the
 * fixture; returns the worst relative error.
 */
export async function checkGradients(
  f: Fixtures,
  lossTol: number,
  gradTol: number,
): Promise<{ worst: number; count: number; zero: string[] }> {
  const m = loadedModel(f);
  const { target, x } = batch(f);
  const trained = m.trainableParams(true);
  const expectedGrads = [...f.expected.keys()]
    .filter((k) => k.startsWith("grad."))
    .map((k) => k.slice(5))
    .sort();
  assert.deepEqual(
    trained.map(([n]) => n).sort(),
    expectedGrads,
    "the trained parameters are the ones PyTorch differentiates",
  );
  const { value, grads } = tf.variableGrads(
    () => m.loss(target, x),
    trained.map(([, v]) => v),
  );
  assertClose([(await value.data())[0]], want(f, "loss"), lossTol, "loss");
  let scale = 0;
  for (const name of expectedGrads) for (const v of want(f, `grad.${name}`)) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  const zero: string[] = [];
  for (const [name, v] of trained) {
    const g = grads[v.name];
    assert.ok(g, `a gradient for ${name}`);
    const got = await g.data();
    const ref = want(f, `grad.${name}`);
    if (Math.max(...Array.from(ref, Math.abs)) < 1e-12 * scale) {
      // Analytically zero: a bias that shifts every row equally, which the head's first batch norm removes.
      zero.push(name);
      assert.ok(Math.max(...Array.from(got, Math.abs)) <= gradTol * scale, `gradient of ${name} should be ~0`);
      continue;
    }
    worst = Math.max(worst, assertClose(got, ref, gradTol, `gradient of ${name}`));
  }
  assert.deepEqual(zero.sort(), ["anchor_backbone.encoder.ln.bias", "ehr_cxr_project_g.bias", "f_ehr.bias"]);
  tf.dispose([value, ...Object.values(grads), target, ...Object.values(x)]);
  m.dispose();
  return { worst, count: trained.length, zero };
}

/** The 14x14 -> 6x6 bicubic position embedding within `tol`. */
export async function checkPositionEmbedding(f: Fixtures, tol: number): Promise<void> {
  const m = loadedModel(f);
  const pos = m.anchor.positionEmbedding(6);
  assertClose(await pos.data(), want(f, "focal_pos_embedding"), tol, "interpolated position embedding");
  pos.dispose();
  m.dispose();
}
