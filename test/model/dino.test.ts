/**
 * DINO against PyTorch (test/golden/dino_reference.py, float64, facebookresearch/dino's head and
 * loss): teacher and student outputs, the loss within 1e-5 relative, the gradient of every trained
 * student parameter within 1e-4, and the centre's update.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as backend from "../../src/backend";
import { DinoModel, DinoModelOptions } from "../../src/model/dino";
import { readSafetensors, SafeTensor } from "../../src/model/safetensors";
import { assertClose, golden } from "./support";

const OPTIONS: DinoModelOptions = {
  vit: { dim: 32, layers: 2, heads: 2, mlpDim: 128, patch: 4, imageSize: 56, channels: 3 },
  outDim: 48,
  hiddenDim: 64,
  bottleneckDim: 16,
};
const LOSS = { studentTemp: 0.1, teacherTemp: 0.04 };

let weights: Map<string, SafeTensor>;
let inputs: Map<string, SafeTensor>;
let expected: Map<string, SafeTensor>;

before(async () => {
  await backend.init({ quiet: true });
  weights = readSafetensors(golden("dino_weights.safetensors")).tensors;
  inputs = readSafetensors(golden("dino_inputs.safetensors")).tensors;
  expected = readSafetensors(golden("dino_expected.safetensors")).tensors;
});

const want = (name: string) => {
  const t = expected.get(name);
  assert.ok(t, `fixture has ${name}`);
  return t.data;
};

function views() {
  const g = (n: string) => tf.tensor4d(inputs.get(n)!.data, inputs.get(n)!.shape as [number, number, number, number]);
  return { global1: g("target"), global2: g("anchor"), local: g("focal") };
}

function loadedModel(): DinoModel {
  const m = new DinoModel(OPTIONS);
  m.loadState(weights, "dino_weights.safetensors");
  return m;
}

test("DINO: teacher and student outputs, loss, gradients of every trained parameter and the centre equal PyTorch's", () => {
  const m = loadedModel();
  const x = views();
  const teacherOut = m.teacherOutputs(x);
  assertClose(teacherOut.dataSync(), want("teacher_out"), 1e-5, "teacher outputs");
  assertClose(
    tf.tidy(() => m.studentOutputs(x).dataSync()),
    want("student_out"),
    1e-5,
    "student outputs",
  );
  const trained = m.trainableParams();
  const expectedGrads = [...expected.keys()]
    .filter((k) => k.startsWith("grad."))
    .map((k) => k.slice(5))
    .sort();
  assert.deepEqual(
    trained.map(([n]) => n).sort(),
    expectedGrads,
    "the trained parameters are the ones PyTorch differentiates (not the frozen weight_g, not the teacher)",
  );
  const { value, grads } = tf.variableGrads(
    () => m.studentLoss(x, teacherOut, LOSS),
    trained.map(([, v]) => v),
  );
  assertClose([value.dataSync()[0]], want("loss"), 1e-5, "loss");
  let worst = 0;
  for (const [name, v] of trained) {
    assert.ok(grads[v.name], `a gradient for ${name}`);
    worst = Math.max(worst, assertClose(grads[v.name].dataSync(), want(`grad.${name}`), 1e-4, `gradient of ${name}`));
  }
  console.log(`# DINO: ${trained.length} gradients, worst relative error ${worst.toExponential(2)}`);
  m.updateCenter(teacherOut, 0.9);
  assertClose(m.center.dataSync(), want("center"), 1e-5, "centre after the update");
  tf.dispose([value, ...Object.values(grads), teacherOut, ...Object.values(x)]);
  m.dispose();
});

test("DINO: the teacher starts equal to the student; the EMA moves it toward the student", () => {
  const m = new DinoModel({ ...OPTIONS, seed: 3 });
  const same = (a: tf.Variable, b: tf.Variable) => assert.deepEqual(a.dataSync(), b.dataSync());
  for (const [n, v] of m.student.params.entries()) same(v, m.teacher.params.get(n));
  const w = m.studentHead.params.get("mlp.0.weight");
  const before = m.teacherHead.params.get("mlp.0.weight").dataSync()[0];
  w.assign(tf.add(w, 1));
  m.emaUpdate(0.9);
  assertClose([m.teacherHead.params.get("mlp.0.weight").dataSync()[0]], [before + 0.1], 1e-6, "EMA of one weight");
  m.dispose();
});
