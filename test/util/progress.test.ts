/** The progress line: counts, rate, time and fields as a person reads them. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { formatProgress, progress } from "../../src/util/progress";

const state = (fields: Record<string, number | string>) => ({
  label: "pretrain",
  done: 8,
  total: 240,
  unit: "step",
  rate: 1.3125,
  elapsedMs: 6000,
  etaMs: 177000,
  finished: false,
  fields,
});

test("fields: integers as they are, other numbers to 4 significant digits, tiny and huge ones in exponent form", () => {
  const line = formatProgress(
    state({
      epoch: "1/6",
      loss: 7.03462,
      "img/s": 463.8,
      lr: 0.0005,
      n: 513,
      big: 123456.7,
      tiny: 0.00001234,
      mid: 1234.56,
    }),
  );
  assert.equal(
    line,
    "pretrain  8/240 step 3% 1.31 step/s ETA 2m57s epoch=1/6 loss=7.035 img/s=463.8 lr=0.0005 n=513 big=1.23e+5 tiny=1.23e-5 mid=1234.6",
  );
});

test("in a log (no TTY) a task shorter than 5 s leaves one line, its last", (t) => {
  const lines: string[] = [];
  t.mock.method(process.stderr, "write", (chunk: string) => (lines.push(chunk), true));
  const bar = progress("t-SNE", 1000, { unit: "iter", minIntervalMs: 0 });
  for (let i = 0; i < 1000; i++) bar.tick();
  bar.finish({ kl: 0.3154 });
  t.mock.restoreAll();
  assert.equal(lines.length, 1, lines.join(""));
  assert.match(lines[0], /^t-SNE {2}1000\/1000 iter 100% .* in .* kl=0\.3154\n$/);
});
