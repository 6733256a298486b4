/**
 * Every figure builder's figure drawn by plotly.js in headless Chromium (Debian's, driven by
 * playwright-core): no legend overlaps the modebar (top right) or an x-axis title.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { builders } from "./builders";

const CHROMIUM = process.env.EHR_MSN_CHROMIUM ?? "/usr/bin/chromium";

function skipReason(): string | false {
  if (!fs.existsSync(CHROMIUM))
    return `no Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set EHR_MSN_CHROMIUM)`;
  try {
    require.resolve("playwright-core");
  } catch {
    return "playwright-core is not installed (a devDependency: npm install)";
  }
  return false;
}
const reason = skipReason();
if (reason) console.log(`# skipped: legend placement in Chromium: ${reason}`);

test("every builder's legend is drawn clear of the modebar and of the x-axis titles", { skip: reason }, async () => {
  const { chromium } = require("playwright-core") as typeof import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
    await page.setContent("<div id='plot' style='width: 900px'></div>");
    await page.addScriptTag({ path: require.resolve("plotly.js-dist-min") });
    const found: Record<string, unknown> = {};
    for (const [name, build] of Object.entries(builders)) {
      const fig = build();
      found[name] = await page.evaluate(async (f) => {
        const el = document.getElementById("plot") as HTMLElement;
        const plotly = (window as unknown as { Plotly: { newPlot: (...a: unknown[]) => Promise<void> } }).Plotly;
        await plotly.newPlot(el, f.data, f.layout, f.config);
        const meet = (a: DOMRect, b: DOMRect) =>
          a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const modebar = el.querySelector(".modebar")!.getBoundingClientRect();
        const titles = Array.from(el.querySelectorAll("[class^='g-x'][class$='title'] text")).map((t) =>
          t.getBoundingClientRect(),
        );
        const legends = Array.from(el.querySelectorAll(".infolayer > g[class^='legend']")).map((g) =>
          g.getBoundingClientRect(),
        );
        return {
          modebar: modebar.width > 0,
          legends: legends.length,
          overlaps: legends.flatMap((l) => [
            ...(meet(l, modebar) ? ["modebar"] : []),
            ...(titles.some((t) => meet(l, t)) ? ["x-axis title"] : []),
          ]),
        };
      }, fig);
    }
    for (const [name, r] of Object.entries(found)) {
      const { modebar, overlaps } = r as { modebar: boolean; overlaps: string[] };
      assert.ok(modebar, `${name}: a modebar to check against`);
      assert.deepEqual(overlaps, [], `${name}: the legend overlaps the ${overlaps.join(" and ")}`);
    }
    // The figures with a legend drew it (forest plots and heatmaps have none).
    const drawn = Object.entries(found)
      .filter(([, r]) => (r as { legends: number }).legends > 0)
      .map(([name]) => name);
    assert.deepEqual(drawn.sort(), [
      "ehrDistributions",
      "embeddingScatter",
      "labelPrevalence",
      "prCurves",
      "rocCurves",
      "trainingCurves",
      "tsneFigure",
    ]);
  } finally {
    await browser.close();
  }
});
