/** The sentence under a results table: seeds against the untrained encoder, their spread, the EHR effect. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { demoModels, studyConfig, tableReading } from "../../src/pipeline";
import type { ProbeSummary } from "../../src/pipeline";
import { Rng } from "../../src/util/random";

const ROWS = 300;
const NAMES = ["Edema", "Cardiomegaly"];
const rng = new Rng(7);
const yTrue = Array.from({ length: ROWS * NAMES.length }, () => (rng.uniform() < 0.4 ? 1 : 0));

/** A probe whose test scores carry the labels with weight `signal` on top of unit noise. */
function probe(model: string, signal: number, auroc: number): ProbeSummary {
  const r = new Rng(model.length * 31 + Math.round(signal * 100));
  return {
    model,
    macro: { auroc: { estimate: auroc, lower: auroc - 0.03, upper: auroc + 0.03 } },
    test: { names: NAMES, yTrue, yScore: yTrue.map((y) => signal * y + r.normal()) },
  } as unknown as ProbeSummary;
}

test("seeds that all beat the untrained encoder are counted with their spread; a null EHR effect is said to be one", () => {
  const config = studyConfig({ models: demoModels(2), probe: { bootstrap: 200 } });
  assert.deepEqual(
    config.models.map((m) => [m.name, m.seed]),
    [
      ["MSN", undefined],
      ["MSN-seed2", 2],
      ["MSN+demographics", undefined],
      ["Random", undefined],
    ],
  );
  const probes = [
    probe("MSN", 1.5, 0.8),
    probe("MSN-seed2", 1.4, 0.78),
    probe("MSN+demographics", 1.5, 0.8),
    probe("Random", 0, 0.5),
  ];
  const text = tableReading(config, probes);
  assert.match(text, /with DeLong p < 0.05 on 2 of 2 pretraining seeds/);
  assert.match(text, /macro AUROC 0\.790 ± 0\.014 \(sd over 2 seeds, 0\.780-0\.800\)/);
  assert.doesNotMatch(text, /does not show/);
  assert.match(
    text,
    /MSN\+demographics - MSN is [+-]0\.0\d\d AUROC \(DeLong p = 0\.\d+\): no EHR effect can be told from chance/,
  );
});

test("a seed no better than the untrained encoder makes the sentence say the table does not show learning", () => {
  const config = studyConfig({ models: demoModels(2), probe: { bootstrap: 200 } });
  const probes = [
    probe("MSN", 1.5, 0.8),
    probe("MSN-seed2", 0, 0.5),
    probe("MSN+demographics", 3, 0.9),
    probe("Random", 0.01, 0.5),
  ];
  const text = tableReading(config, probes);
  assert.match(text, /on 1 of 2 pretraining seeds/);
  assert.match(text, /does not show that pretraining learned more than a random ViT/);
  assert.match(text, /DeLong p < 0\.001\): an EHR effect at this scale/);
});

test("a study without an untrained encoder or EHR models has nothing to say", () => {
  const config = studyConfig({ models: [{ name: "MSN", features: [] }] });
  assert.equal(tableReading(config, [probe("MSN", 1, 0.7)]), "");
});
