/**
 * The tutorials as a participant sees them: each notebook rendered to HTML by nbconvert (the renderer
 * JupyterLab's markdown follows), checked for structure. Execution and figures are the tutorials test's.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { NOTEBOOKS, notebookSkipReason } from "../support/notebooks";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";

const skip = notebookSkipReason();
const tutorials = fs.readdirSync(NOTEBOOKS).filter((f) => /^\d\d-.*\.ipynb$/.test(f));

/** The notebook rendered to HTML by the venv's nbconvert (no execution). */
function renderHtml(notebook: string): string {
  const out = tempDir("render");
  const jupyter = path.join(packageRoot(), ".venv", "bin", "jupyter");
  const r = spawnSync(jupyter, ["nbconvert", "--to", "html", "--output-dir", out, path.join(NOTEBOOKS, notebook)], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return fs.readFileSync(path.join(out, notebook.replace(/\.ipynb$/, ".html")), "utf8");
}

/** Text of every element `tag` in the rendered markdown cells. */
function elements(html: string, tag: string): string[] {
  return [...html.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, "g"))].map((m) =>
    m[1]
      .replace(/<[^>]+>/g, "")
      .replace(/¶/g, "")
      .trim(),
  );
}

for (const nb of tutorials) {
  test(`${nb} renders as a handout: one title, paragraphs as paragraphs, no comment markers`, { skip }, () => {
    const html = renderHtml(nb);
    const markdown = [...html.matchAll(/<div class="[^"]*jp-MarkdownOutput[^"]*"[^>]*>([\s\S]*?)<\/div>/g)]
      .map((m) => m[1])
      .join("\n");
    const titles = elements(markdown, "h1");
    assert.equal(titles.length, 1, `one level-1 heading, found ${JSON.stringify(titles)}`);
    assert.match(titles[0], /^\d\d · \S/, "the title reads 'NN · Name', without a literal '#'");
    const paragraphs = elements(markdown, "p");
    assert.ok(paragraphs.length >= 2, `paragraphs render as <p>, found ${paragraphs.length}`);
    assert.ok(
      paragraphs.some((p) => p.split(/\s+/).length >= 15),
      "a paragraph keeps its sentences together",
    );
    assert.doesNotMatch(markdown, /(^|\n|>)\s*#\s/, "no percent-format '# ' prefix left in markdown");
  });
}
