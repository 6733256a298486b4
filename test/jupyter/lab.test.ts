import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import type { BrowserContext, Page } from "playwright-core";
import { startLab, LabServer } from "../../src/jupyter/lab";
import { packageRoot } from "../../src/util/paths";
import { NOTEBOOKS, notebookSkipReason } from "../support/notebooks";

/**
 * End to end in a real browser: JupyterLab from the project's venv, Debian's Chromium driven by
 * playwright-core (no browser download). First a notebook that draws a t-SNE scatter and the EHR
 * distributions through `show()`: the plots count as drawn when Plotly's SVG layers and their
 * markers / bars are in the page. Then every tutorial at quick settings, as a participant runs it:
 * every figure drawn, no error, each legend clear of Plotly's modebar, and a screenshot of its top.
 * Screenshots go to test/artifacts/; with EHR_MSN_SCREENSHOTS=docs the tutorials' go to
 * docs/tutorials/<name>.png instead (how the README's pictures are made).
 */

const CHROMIUM = process.env.EHR_MSN_CHROMIUM ?? "/usr/bin/chromium";
const FIXTURE = path.join(packageRoot(), "test", "jupyter", "fixtures", "lab-figures.ipynb");
const ARTIFACTS = path.join(packageRoot(), "test", "artifacts");
const SHOTS =
  process.env.EHR_MSN_SCREENSHOTS === "docs"
    ? path.join(packageRoot(), "docs", "tutorials")
    : path.join(ARTIFACTS, "tutorials");

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

/** Chromium (headless, fresh profile) and its first page. */
async function launch(viewport: {
  width: number;
  height: number;
}): Promise<{ browser: BrowserContext; page: Page; profile: string }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-chromium-"));
  const { chromium } = require("playwright-core") as typeof import("playwright-core");
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
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
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(60_000);
  return { browser, page, profile };
}

/** Opens `file` (under the lab's root), waits until its "ehr-msn (TypeScript)" kernel is idle, and runs every cell. */
async function openAndRunAll(page: Page, lab: LabServer, file: string): Promise<void> {
  // reset: a fresh workspace, so that no notebook opened before comes back with it.
  await page.goto(`${lab.url}/lab/tree/${file}?reset&token=${lab.token}`);
  // The notebook is open and its kernel ("ehr-msn (TypeScript)") is idle.
  await page.locator(".jp-NotebookPanel .jp-Cell").first().waitFor();
  // startLab asks JupyterLab to start the notebook's kernel by itself; should it still ask
  // (kernel specs not loaded yet), accept its choice, the notebook's "ehr-msn (TypeScript)".
  const kernelName = page.locator(".jp-NotebookPanel .jp-KernelName, .jp-NotebookPanel .jp-Toolbar-kernelName").first();
  const dialog = page.locator(".jp-Dialog").filter({ hasText: "Select Kernel" });
  const ready = Date.now() + 60_000;
  while (!(
    (await kernelName.innerText().catch(() => "")).includes("ehr-msn") &&
    (await page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count()) > 0
  )) {
    if (await dialog.isVisible()) await dialog.locator("button.jp-mod-accept").click();
    if (Date.now() > ready) assert.fail(`the ehr-msn kernel of ${file} did not start within 60 s`);
    await page.waitForTimeout(250);
  }
  await page.getByRole("menuitem", { name: "Run", exact: true }).click();
  await page.getByRole("menuitem", { name: /^Run All Cells/ }).click();
}

test(
  "JupyterLab in Chromium draws the t-SNE scatter and the EHR distributions of a notebook",
  { skip: reason, timeout: 150_000 },
  async () => {
    // Under the project, so that the kernel resolves `ehr-msn` from node_modules; a copy, because
    // JupyterLab saves outputs into the notebook it runs.
    fs.mkdirSync(ARTIFACTS, { recursive: true }); // test/artifacts is not in git: a fresh clone has none
    const work = fs.mkdtempSync(path.join(ARTIFACTS, "lab-"));
    fs.copyFileSync(FIXTURE, path.join(work, "figures.ipynb"));
    let lab: LabServer | undefined;
    let browser: BrowserContext | undefined;
    let page: Page | undefined;
    let profile: string | undefined;
    try {
      lab = await startLab({ rootDir: work, timeoutMs: 60_000 });
      ({ browser, page, profile } = await launch({ width: 1400, height: 3000 }));
      await openAndRunAll(page, lab, "figures.ipynb");

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
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);

const TUTORIALS = fs
  .readdirSync(NOTEBOOKS)
  .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
  .sort();
/** Figures a tutorial draws at least (01-cohort may draw more as it grows). */
const FIGURES: Record<string, number> = {
  "00-setup": 0,
  "01-cohort": 2,
  "02-pretrain": 2,
  "03-linear-probe": 4,
  "04-embeddings": 1,
};

/** The open notebook (other tabs stay in the page, hidden). */
const OPEN = ".jp-NotebookPanel:not(.lm-mod-hidden)";

/**
 * The Plotly figures of the open notebook (jupyterlab-plotly's outputs): how many plotly.js drew
 * (SVG layers and traces), and every legend that overlaps the modebar or an axis title.
 */
async function figuresDrawn(page: Page): Promise<{ figures: number; drawn: number; overlaps: string[] }> {
  return page.locator(`${OPEN} .jp-OutputArea-output.js-plotly-plot`).evaluateAll((els) => {
    const overlaps: string[] = [];
    let drawn = 0;
    const meet = (a: DOMRect, b: DOMRect) =>
      a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    els.forEach((el, k) => {
      // Scatter and bar traces are `.trace` groups; a heatmap is drawn as an image in a `g.hm` group.
      if (el.querySelectorAll("svg.main-svg").length === 0 || el.querySelectorAll(".trace, g.hm").length === 0) return;
      drawn++;
      const title = el.querySelector(".gtitle")?.textContent ?? `figure ${k + 1}`;
      const modebar = el.querySelector(".modebar")?.getBoundingClientRect();
      if (!modebar || modebar.width === 0) overlaps.push(`${title}: no modebar to check against`);
      const xtitles = Array.from(el.querySelectorAll("[class^='g-x'][class$='title'] text")).map((t) =>
        t.getBoundingClientRect(),
      );
      for (const legend of Array.from(el.querySelectorAll(".infolayer > g[class^='legend']"))) {
        const box = legend.getBoundingClientRect();
        if (modebar && meet(box, modebar)) overlaps.push(`${title}: legend on the modebar`);
        if (xtitles.some((t) => meet(box, t))) overlaps.push(`${title}: legend on an axis title`);
      }
    });
    return { figures: els.length, drawn, overlaps };
  });
}

test(
  "every tutorial runs in JupyterLab at quick settings: figures drawn, legends clear of the modebar, a screenshot each",
  { skip: reason, timeout: 40 * 60_000 },
  async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // tutorial.ts keeps the study in ../runs: test/artifacts/runs/tutorial-quick, started fresh.
    fs.rmSync(path.join(ARTIFACTS, "runs", "tutorial-quick"), { recursive: true, force: true });
    const work = fs.mkdtempSync(path.join(ARTIFACTS, "lab-tutorials-"));
    for (const f of [...TUTORIALS, "tutorial.ts"]) fs.copyFileSync(path.join(NOTEBOOKS, f), path.join(work, f));
    fs.mkdirSync(SHOTS, { recursive: true });
    process.env.EHR_MSN_QUICK = "1"; // the kernels inherit JupyterLab's environment
    let lab: LabServer | undefined;
    let browser: BrowserContext | undefined;
    let page: Page | undefined;
    let profile: string | undefined;
    let current = "";
    try {
      lab = await startLab({ rootDir: work, timeoutMs: 60_000 });
      // Every cell rendered (no windowing), so that every figure of the notebook is in the page.
      const settings = await fetch(`${lab.url}/lab/api/settings/@jupyterlab/notebook-extension:tracker`, {
        method: "PUT",
        headers: { Authorization: `token ${lab.token}` },
        body: JSON.stringify({ raw: JSON.stringify({ autoStartDefaultKernel: true, windowingMode: "none" }) }),
      });
      assert.ok(settings.ok, `notebook settings: HTTP ${settings.status}`);
      ({ browser, page, profile } = await launch({ width: 1200, height: 1500 }));
      for (const file of TUTORIALS) {
        current = file;
        const name = file.replace(/\.ipynb$/, "");
        await openAndRunAll(page, lab, file);
        // The file browser would take a fifth of the screenshot.
        await page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click();
        const prompts = page.locator(`${OPEN} .jp-CodeCell .jp-InputPrompt`);
        const stderr = page.locator(`${OPEN} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']`);
        // tslab reports a failed cell on stderr; the library's own notes there start with "ehr-msn: ".
        const errors = async (): Promise<string[]> =>
          (await stderr.allInnerTexts())
            .flatMap((t: string) => t.split("\n"))
            .filter((l: string) => l.trim() && !l.startsWith("ehr-msn: "));
        const deadline = Date.now() + 10 * 60_000;
        // Done when every code cell shows its execution number and the kernel is idle.
        for (;;) {
          const failed = await errors();
          if (failed.length > 0) assert.fail(`${file}: a cell failed:\n${failed.join("\n")}`);
          const texts = await prompts.allInnerTexts();
          const idle = (await page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count()) > 0;
          if (idle && texts.length > 0 && texts.every((t) => /\[\d+\]/.test(t))) break;
          if (Date.now() > deadline) assert.fail(`${file} had not finished after 10 minutes: ${texts.join(" ")}`);
          await page.waitForTimeout(1000);
        }
        // plotly.js draws a figure once it is in view: bring each there, then poll until every one is drawn.
        for (const plot of await page.locator(`${OPEN} .jp-OutputArea-output.js-plotly-plot`).all()) {
          await plot.scrollIntoViewIfNeeded();
          await page.waitForTimeout(500);
        }
        let seen = await figuresDrawn(page);
        for (const until = Date.now() + 20_000; seen.drawn < seen.figures && Date.now() < until;) {
          await page.waitForTimeout(250);
          seen = await figuresDrawn(page);
        }
        assert.ok(seen.figures >= FIGURES[name], `${file}: ${seen.figures} figures, expected ${FIGURES[name]}`);
        assert.equal(seen.drawn, seen.figures, `${file}: every figure drawn`);
        assert.deepEqual(seen.overlaps, [], `${file}: legends clear of the modebar and the axis titles`);
        // The top of the notebook, as a participant first sees it after running it.
        await page.evaluate(() =>
          document.querySelectorAll(".jp-WindowedPanel-outer").forEach((e) => e.scrollTo(0, 0)),
        );
        const png = await page.screenshot({ type: "png" });
        await sharp(png)
          .png({ palette: true, compressionLevel: 9 })
          .toFile(path.join(SHOTS, `${name}.png`));
        // The next notebook gets the machine to itself: its session (and kernel) ends.
        const auth = { Authorization: `token ${lab.token}` };
        const sessions = (await (await fetch(`${lab.url}/api/sessions`, { headers: auth })).json()) as { id: string }[];
        for (const { id } of sessions)
          await fetch(`${lab.url}/api/sessions/${id}`, { method: "DELETE", headers: auth });
      }
    } catch (e) {
      const shot = path.join(ARTIFACTS, `tutorial-failed.png`);
      await page?.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      throw new Error(
        `${current}: ${e instanceof Error ? e.message : e}\n(screenshot: ${path.relative(packageRoot(), shot)}; JupyterLab's log ends with:\n${lab?.log().slice(-2000)})`,
        { cause: e },
      );
    } finally {
      delete process.env.EHR_MSN_QUICK;
      await browser?.close().catch(() => undefined);
      await lab?.stop();
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);
