/**
 * The model against PyTorch (test/golden/msn_reference.py, float64): CLS embeddings, projection
 * outputs and the loss within 1e-5, gradients of every trained parameter within 1e-4, and the
 * bicubic position-embedding interpolation equal to F.interpolate(mode="bicubic").
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { bicubicGridMatrix } from "../../src/model/bicubic";
import { MsnModel, MsnModelOptions } from "../../src/model/msn";
import { readSafetensors, SafeTensor } from "../../src/model/safetensors";
import { assertClose, golden } from "./support";

const OPTIONS: MsnModelOptions = {
  vit: { dim: 32, layers: 2, heads: 2, mlpDim: 128, patch: 4, imageSize: 56, channels: 3 },
  numPrototypes: 16,
  ehrIn: 3,
  ehrDim: 128,
};

let weights: Map<string, SafeTensor>;
let inputs: Map<string, SafeTensor>;
let expected: Map<string, SafeTensor>;

before(async () => {
  await backend.init({ quiet: true });
  weights = readSafetensors(golden("msn_weights.safetensors")).tensors;
  inputs = readSafetensors(golden("msn_inputs.safetensors")).tensors;
  expected = readSafetensors(golden("msn_expected.safetensors")).tensors;
});

const tensor = (t: SafeTensor) => tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? "int32" : "float32");
const want = (name: string) => {
  const t = expected.get(name);
  assert.ok(t, `fixture has ${name}`);
  return t.data;
};

function batch() {
  const g = (n: string) => tensor(inputs.get(n)!);
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

function loadedModel(opts = OPTIONS): MsnModel {
  const m = new MsnModel(opts);
  m.loadState(weights, "msn_weights.safetensors");
  return m;
}

test("fixture geometry is the authors': 14x14 and 6x6 patch grids, keep 166 and 30 with the class token first", () => {
  assert.deepEqual(inputs.get("anchor_keep")!.shape, [4, 166]);
  assert.deepEqual(inputs.get("focal_keep")!.shape, [40, 30]);
  const keep = inputs.get("anchor_keep")!.data;
  for (let r = 0; r < 4; r++) assert.equal(keep[r * 166], 0);
  // The last-patch artefact: token 196 is never among the kept ones.
  assert.ok(!keep.includes(196));
});

test("CLS embeddings and projection outputs match PyTorch within 1e-5", () => {
  const m = loadedModel();
  const { target, x } = batch();
  const got = tf.tidy(() => ({
    targetCls: m.target.embed(target).dataSync(),
    anchorCls: m.anchorEmbeddings(x).dataSync(),
    targetOut: m.targetOutputs(target).dataSync(),
    anchorOut: m.anchorOutputs(x).dataSync(),
  }));
  const errs = [
    assertClose(got.targetCls, want("target_cls"), 1e-5, "target CLS"),
    assertClose(got.anchorCls, want("anchor_cls"), 1e-5, "anchor CLS (masked, 224- and 96-style views)"),
    assertClose(got.targetOut, want("target_out"), 1e-5, "target projection"),
    assertClose(got.anchorOut, want("anchor_out"), 1e-5, "anchor projection (EHR fused)"),
  ];
  console.log(`  max relative errors: ${errs.map((e) => e.toExponential(1)).join(", ")}`);
  tf.dispose([target, ...Object.values(x)]);
  m.dispose();
});

test("the MSN loss (EHR-MSN and vanilla MSN) matches PyTorch within 1e-5", () => {
  const { target, x } = batch();
  const m = loadedModel();
  const loss = tf.tidy(() => m.loss(target, x).dataSync()[0]);
  assertClose([loss], want("loss"), 1e-5, "loss");
  const vanilla = loadedModel({ ...OPTIONS, ehrIn: 0 });
  const lossVanilla = tf.tidy(() => vanilla.loss(target, { ...x, ehr: undefined }).dataSync()[0]);
  assertClose([lossVanilla], want("loss_vanilla"), 1e-5, "vanilla loss");
  assert.notEqual(Math.round(loss * 1e4), Math.round(lossVanilla * 1e4));
  tf.dispose([target, ...Object.values(x)]);
  m.dispose();
  vanilla.dispose();
});

/** Loss and gradients of every trained parameter, checked against the fixture; returns the worst relative error. */
function checkGradients(): { worst: number; count: number; zero: string[] } {
  const m = loadedModel();
  const { target, x } = batch();
  const trained = m.trainableParams(true);
  const expectedGrads = [...expected.keys()]
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
  assertClose([value.dataSync()[0]], want("loss"), 1e-5, "loss");
  let scale = 0;
  for (const name of expectedGrads) for (const v of want(`grad.${name}`)) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  const zero: string[] = [];
  for (const [name, v] of trained) {
    const g = grads[v.name];
    assert.ok(g, `a gradient for ${name}`);
    const ref = want(`grad.${name}`);
    if (Math.max(...Array.from(ref, Math.abs)) < 1e-12 * scale) {
      // Analytically zero: a bias that shifts every row equally, which the head's first batch norm removes.
      zero.push(name);
      assert.ok(Math.max(...Array.from(g.dataSync(), Math.abs)) <= 1e-4 * scale, `gradient of ${name} should be ~0`);
      continue;
    }
    worst = Math.max(worst, assertClose(g.dataSync(), ref, 1e-4, `gradient of ${name}`));
  }
  assert.deepEqual(zero.sort(), ["anchor_backbone.encoder.ln.bias", "ehr_cxr_project_g.bias", "f_ehr.bias"]);
  tf.dispose([value, ...Object.values(grads), target, ...Object.values(x)]);
  m.dispose();
  return { worst, count: trained.length, zero };
}

test("gradients of every trained parameter (and of trainable prototypes) match PyTorch within 1e-4", () => {
  const r = checkGradients();
  console.log(
    `  ${r.count} gradients, worst relative error ${r.worst.toExponential(1)}; ${r.zero.length} analytically zero and ~0 here`,
  );
});

test(
  "the same model trains on the wasm and cpu backends: loss and gradients match PyTorch there too",
  { skip: process.env.EHR_MSN_BACKEND ? "EHR_MSN_BACKEND forces one backend" : false },
  async () => {
    try {
      for (const name of ["wasm", "cpu"] as const) {
        await backend.init({ prefer: name, quiet: true });
        assert.equal(backend.info().name, name);
        console.log(`  ${name}: worst gradient error ${checkGradients().worst.toExponential(1)}`);
      }
    } finally {
      await backend.init({ quiet: true });
    }
  },
);

test("the 14x14 -> 6x6 position embedding equals lightly's bicubic interpolation", () => {
  const m = loadedModel();
  const got = tf.tidy(() => m.anchor.positionEmbedding(6).dataSync());
  assertClose(got, want("focal_pos_embedding"), 1e-6, "interpolated position embedding");
  m.dispose();
});

test("bicubic resampling equals PyTorch's F.interpolate(mode='bicubic', align_corners=False)", () => {
  for (const [name, nIn, nOut] of [
    ["14to6", 14, 6],
    ["8to3", 8, 3],
    ["5to7", 5, 7],
  ] as const) {
    const grid = expected.get(`bicubic_${name}_in`)!;
    const k = bicubicGridMatrix(nIn, nOut, nOut / nIn);
    const out = new Float64Array(3 * nOut * nOut);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < nOut * nOut; i++) {
        let s = 0;
        for (let j = 0; j < nIn * nIn; j++) s += k[i * nIn * nIn + j] * grid.data[c * nIn * nIn + j];
        out[c * nOut * nOut + i] = s;
      }
    }
    assertClose(out, want(`bicubic_${name}_out`), 1e-6, `bicubic ${name}`);
  }
});
