import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLab, LabServer } from "../../src/jupyter/lab";
import { packageRoot } from "../../src/util/paths";
import { notebookSkipReason } from "../support/notebooks";

/**
 * End to end in a real browser: JupyterLab from the project's venv, Debian's Chromium driven by
 * playwright-core (no browser download), a notebook that draws a t-SNE scatter and the EHR
 * distributions through `show()`. The plots count as drawn when Plotly's SVG layers and their
 * markers / bars are in the page. A screenshot goes to test/artifacts/.
 */

const CHROMIUM = process.env.EHR_MSN_CHROMIUM ?? "/usr/bin/chromium";
const FIXTURE = path.join(packageRoot(), "test", "jupyter", "fixtures", "lab-figures.ipynb");
const ARTIFACTS = path.join(packageRoot(), "test", "artifacts");

function skipReason(): string | false {
  if (!fs.existsSync(CHROMIUM))
    return `no Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set EHR_MSN_CHROMIUM)`;
  try {
    require.resolve("playwright-core");
  } catch {
    return "playwright-core is not installed (a devDependency: npm install)";
  }
  return notebookSkipReason();
}

const reason = skipReason();
if (reason) console.log(`# skipped: JupyterLab browser test: ${reason}`);

test(
  "JupyterLab in Chromium draws the t-SNE scatter and the EHR distributions of a notebook",
  { skip: reason, timeout: 150_000 },
  async () => {
    // Under the project, so that the kernel resolves `ehr-msn` from node_modules; a copy, because
    // JupyterLab saves outputs into the notebook it runs.
    fs.mkdirSync(ARTIFACTS, { recursive: true }); // test/artifacts is not in git: a fresh clone has none
    const work = fs.mkdtempSync(path.join(ARTIFACTS, "lab-"));
    fs.copyFileSync(FIXTURE, path.join(work, "figures.ipynb"));
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-chromium-"));
    let lab: LabServer | undefined;

    const { chromium } = require("playwright-core") as typeof import("playwright-core");
    let browser: import("playwright-core").BrowserContext | undefined;
    let page: import("playwright-core").Page | undefined;
    try {
      lab = await startLab({ rootDir: work, timeoutMs: 60_000 });
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 3000 },
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--disable-dev-shm-usage",
        ],
      });
      page = browser.pages()[0] ?? (await browser.newPage());
      page.setDefaultTimeout(60_000);
      await page.goto(`${lab.url}/lab/tree/figures.ipynb?token=${lab.token}`);
      // The notebook is open and its kernel ("ehr-msn (TypeScript)") is idle.
      await page.locator(".jp-NotebookPanel .jp-Cell").first().waitFor();
      // startLab asks JupyterLab to start the notebook's kernel by itself; should it still ask
      // (kernel specs not loaded yet), accept its choice, the notebook's "ehr-msn (TypeScript)".
      const kernelName = page
        .locator(".jp-NotebookPanel .jp-KernelName, .jp-NotebookPanel .jp-Toolbar-kernelName")
        .first();
      const dialog = page.locator(".jp-Dialog").filter({ hasText: "Select Kernel" });
      const ready = Date.now() + 60_000;
      while (!(
        (await kernelName.innerText().catch(() => "")).includes("ehr-msn") &&
        (await page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count()) > 0
      )) {
        if (await dialog.isVisible()) await dialog.locator("button.jp-mod-accept").click();
        if (Date.now() > ready) assert.fail("the ehr-msn kernel did not start within 60 s");
        await page.waitForTimeout(250);
      }
      await page.getByRole("menuitem", { name: "Run", exact: true }).click();
      await page.getByRole("menuitem", { name: /^Run All Cells/ }).click();

      // jupyterlab-plotly renders the application/vnd.plotly.v1+json output; its element is the plot.
      const plots = page.locator(".jp-OutputArea-output.js-plotly-plot");
      const errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']");
      const deadline = Date.now() + 90_000;
      while ((await plots.count()) < 2) {
        if ((await errors.count()) > 0)
          assert.fail(`a cell wrote to stderr:\n${(await errors.allInnerTexts()).join("\n")}`);
        if (Date.now() > deadline) assert.fail(`only ${await plots.count()} of 2 plots drawn after 90 s`);
        await page.waitForTimeout(250);
      }
      // What plotly.js drew, read from the DOM: SVG layers, traces, marks, titles, legend entries.
      const drawn = () =>
        plots.evaluateAll((els) =>
          els.map((el) => ({
            svg: el.querySelectorAll("svg.main-svg").length,
            scatter: el.querySelectorAll(".scatterlayer .trace").length,
            points: el.querySelectorAll(".scatterlayer .trace path.point").length,
            bars: el.querySelectorAll(".barlayer .trace").length,
            barMarks: el.querySelectorAll(".barlayer .trace .point path").length,
            title: el.querySelector(".gtitle")?.textContent ?? "",
            // legend entries: class legendtext, legend2text, ... (one legend per label group)
            legend: Array.from(el.querySelectorAll("text")).filter((t) =>
              /^legend\d*text$/.test(t.getAttribute("class") ?? ""),
            ).length,
          })),
        );
      // 12 labels x 30 points in three panels; 6 features x 3 splits of bars. plotly.js draws
      // panel by panel, so the counts are polled until they settle.
      const until = Date.now() + 15_000;
      let seen = await drawn();
      while ((seen[0].points < 360 || seen[0].legend < 12 || seen[1].bars < 18) && Date.now() < until) {
        await page.waitForTimeout(250);
        seen = await drawn();
      }
      const [tsne, ehr] = seen;
      assert.ok(tsne.svg >= 2 && ehr.svg >= 2, JSON.stringify(seen));
      assert.deepEqual([tsne.scatter, tsne.points, tsne.legend, tsne.bars], [12, 360, 12, 0]);
      assert.match(tsne.title, /t-SNE \(browser test\)/);
      assert.deepEqual([ehr.bars, ehr.scatter], [18, 0]);
      assert.ok(ehr.barMarks > 18 * 2, `bars drawn: ${ehr.barMarks}`);
      assert.match(ehr.title, /EHR feature distributions by split/);
      // The t-SNE progress was one line, updated in place, in the same cell as the plot.
      const progressText = await page
        .locator(".jp-OutputArea-output")
        .filter({ hasText: "t-SNE  1000/1000 iter 100%" })
        .count();
      assert.equal(progressText, 1);
      assert.equal(await errors.count(), 0);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "jupyterlab-figures.png"), fullPage: true });
    } catch (e) {
      const shot = path.join(ARTIFACTS, "jupyterlab-figures-failed.png");
      await page?.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      throw new Error(
        `${e instanceof Error ? e.message : e}\n(screenshot: ${path.relative(packageRoot(), shot)}; JupyterLab's log ends with:\n${lab?.log().slice(-2000)})`,
        { cause: e },
      );
    } finally {
      await browser?.close().catch(() => undefined);
      await lab?.stop();
      fs.rmSync(profile, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);
