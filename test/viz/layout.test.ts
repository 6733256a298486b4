import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as viz from "../../src/viz";
import { LEGEND } from "../../src/viz/figure";
import { builders, notBuilders } from "./builders";

const placement = (legend: Record<string, unknown>) =>
  Object.fromEntries(Object.keys(LEGEND).map((k) => [k, legend[k]]));

test("every figure builder is checked below", () => {
  const exported = Object.entries(viz)
    .filter(([, v]) => typeof v === "function")
    .map(([k]) => k)
    .filter((k) => !notBuilders.includes(k));
  assert.deepEqual(exported.sort(), Object.keys(builders).sort());
});

for (const [name, build] of Object.entries(builders)) {
  test(`${name}: its legend sits where LEGEND puts it, clear of the modebar (top right)`, () => {
    const layout = build().layout;
    const legend = layout.legend as Record<string, unknown>;
    if (name === "tsneFigure") {
      // Figure 3 keeps a legend beside each row of panels (its label group): each starts at the top of
      // its row, inside the plot area's height, so never in the top margin where the modebar is.
      const legends = Object.keys(layout).filter((k) => /^legend\d*$/.test(k));
      assert.ok(legends.length >= 1);
      for (const k of legends) {
        const l = layout[k] as Record<string, unknown>;
        assert.ok(l.yref === undefined || l.yref === "paper", `${k}: paper coordinates`);
        assert.ok(
          Number(l.y) <= 1 && l.yanchor === "top",
          `${k} starts below the plot area's top: ${JSON.stringify(l)}`,
        );
      }
      return;
    }
    assert.deepEqual(placement(legend), { ...LEGEND });
  });
}
