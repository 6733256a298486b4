import { test } from "node:test";
import * as assert from "node:assert/strict";
import { heatmap } from "../../src/viz/heatmap";
import { InputError } from "../../src/util/errors";
import { isFigure } from "../../src/viz/figure";

test("heatmap: the first column names the rows, numeric columns become cells with their values", () => {
  const fig = heatmap({ label: ["A", "B<"], A: [5, 3], B: [3, 5], note: ["x", "y"] }, { title: "Co-occurrence" });
  assert.ok(isFigure(fig));
  const t = fig.data[0] as Record<string, unknown>;
  assert.equal(t.type, "heatmap");
  assert.deepEqual(t.x, ["A", "B"]);
  assert.deepEqual(t.y, ["A", "B&lt;"]);
  assert.deepEqual(t.z, [
    [5, 3],
    [3, 5],
  ]);
  assert.deepEqual(t.text, [
    ["5", "3"],
    ["3", "5"],
  ]);
  assert.deepEqual((fig.layout.yaxis as Record<string, unknown>).autorange, "reversed");
});

test("heatmap: fractions as percentages, missing cells blank, chosen columns only", () => {
  const fig = heatmap(
    { sex: ["F", "M"], images: [10, 12], Edema: [0.125, NaN], Fracture: [0.5, null] },
    { columns: ["Edema", "Fracture"], valueLabel: "prevalence" },
  );
  const t = fig.data[0] as Record<string, unknown>;
  assert.deepEqual(t.z, [
    [0.125, 0.5],
    [null, null],
  ]);
  assert.deepEqual(t.text, [
    ["12.5%", "50%"],
    ["", ""],
  ]);
  assert.throws(
    () => heatmap({ name: ["a"], text: ["b"] }),
    (e: unknown) => e instanceof InputError && /numeric column/.test(e.message),
  );
  assert.throws(
    () => heatmap({ r: ["x"], a: [1] }, { format: "percent" as never }),
    (e: unknown) => e instanceof InputError && /format/.test(e.message),
  );
});
