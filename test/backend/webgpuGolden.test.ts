/**
 * The golden checks of the model (test/model/goldenChecks.ts: ViT forward, MSN loss, every gradient,
 * against PyTorch float64) on the webgpu backend, through SwiftShader when no GPU is there. The
 * tolerances are the tensorflow backend's: measured on SwiftShader, the embeddings and projections are
 * within 7e-6, the loss within 1e-7, the gradients within 7e-6 (float32 sums in another order).
 */
import { before, test } from "node:test";
import * as backend from "../../src/backend";
import {
  checkEmbeddings,
  checkGradients,
  checkLoss,
  checkPositionEmbedding,
  Fixtures,
  loadFixtures,
} from "../model/goldenChecks";
import { forceWebgpu, webgpuSkipReason } from "./webgpuSupport";

const skip = webgpuSkipReason();
if (skip) console.log(`webgpu golden tests skipped: ${skip}`);
let fixtures: Fixtures;

before(async () => {
  if (skip) return;
  forceWebgpu();
  await backend.init({ quiet: true });
  fixtures = loadFixtures();
});

test("webgpu: CLS embeddings and projection outputs match PyTorch within 1e-5", { skip }, async () => {
  const errs = await checkEmbeddings(fixtures, 1e-5);
  console.log(`  max relative errors: ${errs.map((e) => e.toExponential(1)).join(", ")}`);
});

test("webgpu: the MSN loss (EHR-MSN and vanilla MSN) matches PyTorch within 1e-5", { skip }, async () => {
  await checkLoss(fixtures, 1e-5);
});

test("webgpu: gradients of every trained parameter match PyTorch within 1e-4", { skip }, async () => {
  const r = await checkGradients(fixtures, 1e-5, 1e-4);
  console.log(`  ${r.count} gradients, worst relative error ${r.worst.toExponential(1)}`);
});

test("webgpu: the bicubic 14x14 -> 6x6 position embedding matches PyTorch within 1e-6", { skip }, async () => {
  await checkPositionEmbedding(fixtures, 1e-6);
});
