/** The progress line: counts, rate, time and fields as a person reads them. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { formatProgress } from "../../src/util/progress";

const state = (fields: Record<string, number | string>) => ({
  label: "pretrain", done: 8, total: 240, unit: "step", rate: 1.3125, elapsedMs: 6000, etaMs: 177000, finished: false, fields,
});

test("fields: integers as they are, other numbers to 4 significant digits, tiny and huge ones in exponent form", () => {
  const line = formatProgress(state({ epoch: "1/6", loss: 7.03462, "img/s": 463.8, lr: 0.0005, n: 513, big: 123456.7, tiny: 0.00001234, mid: 1234.56 }));
  assert.equal(line, "pretrain  8/240 step 3% 1.31 step/s ETA 2m57s epoch=1/6 loss=7.035 img/s=463.8 lr=0.0005 n=513 big=1.23e+5 tiny=1.23e-5 mid=1234.6");
});
