/**
 * The model against PyTorch (test/golden/msn_reference.py, float64): CLS embeddings, projection
 * outputs and the loss within 1e-5, gradients of every trained parameter within 1e-4, and the
 * bicubic position-embedding interpolation equal to F.interpolate(mode="bicubic").
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as backend from "../../src/backend";
import { bicubicGridMatrix } from "../../src/model/bicubic";
import {
  checkEmbeddings,
  checkGradients,
  checkLoss,
  checkPositionEmbedding,
  Fixtures,
  loadFixtures,
  want as wantIn,
} from "./goldenChecks";
import { assertClose } from "./support";

let fixtures: Fixtures;
let inputs: Fixtures["inputs"];
let expected: Fixtures["expected"];

before(async () => {
  await backend.init({ quiet: true });
  fixtures = loadFixtures();
  ({ inputs, expected } = fixtures);
});

const want = (name: string) => wantIn(fixtures, name);

test("fixture geometry is the authors': 14x14 and 6x6 patch grids, keep 166 and 30 with the class token first", () => {
  assert.deepEqual(inputs.get("anchor_keep")!.shape, [4, 166]);
  assert.deepEqual(inputs.get("focal_keep")!.shape, [40, 30]);
  const keep = inputs.get("anchor_keep")!.data;
  for (let r = 0; r < 4; r++) assert.equal(keep[r * 166], 0);
  // The last-patch artefact: token 196 is never among the kept ones.
  assert.ok(!keep.includes(196));
});

test("CLS embeddings and projection outputs match PyTorch within 1e-5", async () => {
  const errs = await checkEmbeddings(fixtures, 1e-5);
  console.log(`  max relative errors: ${errs.map((e) => e.toExponential(1)).join(", ")}`);
});

test("the MSN loss (EHR-MSN and vanilla MSN) matches PyTorch within 1e-5", async () => {
  await checkLoss(fixtures, 1e-5);
});

test("gradients of every trained parameter (and of trainable prototypes) match PyTorch within 1e-4", async () => {
  const r = await checkGradients(fixtures, 1e-5, 1e-4);
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
        console.log(
          `  ${name}: worst gradient error ${(await checkGradients(fixtures, 1e-5, 1e-4)).worst.toExponential(1)}`,
        );
      }
    } finally {
      await backend.init({ quiet: true });
    }
  },
);

test("the 14x14 -> 6x6 position embedding equals lightly's bicubic interpolation", async () => {
  await checkPositionEmbedding(fixtures, 1e-6);
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
