/**
 * The committed notebooks are what `scripts/make-notebook.js` renders from their sources, without
 * outputs: an executed tutorial is about 5 MB (plotly.js is embedded so that it works offline), and
 * none of that belongs in git.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { NOTEBOOKS } from "../support/notebooks";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";

const FIXTURES = path.join(packageRoot(), "test", "jupyter", "fixtures");
const pairs = [
  ...fs
    .readdirSync(path.join(NOTEBOOKS, "src"))
    .filter((f) => f.endsWith(".ts.md"))
    .map((f) => [path.join(NOTEBOOKS, "src", f), path.join(NOTEBOOKS, f.replace(/\.ts\.md$/, ".ipynb"))]),
  [path.join(FIXTURES, "lab-figures.ts.md"), path.join(FIXTURES, "lab-figures.ipynb")],
];

test("every notebook source has its notebook, and every notebook a source", () => {
  const notebooks = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb"));
  assert.deepEqual(
    notebooks.sort(),
    pairs.filter(([, nb]) => path.dirname(nb) === NOTEBOOKS).map(([, nb]) => path.basename(nb)),
  );
});

for (const [src, nb] of pairs) {
  const name = path.relative(packageRoot(), nb);
  test(`${name} is its source rendered, with no outputs`, () => {
    const out = path.join(tempDir("notebook"), "rendered.ipynb");
    const r = spawnSync(process.execPath, [path.join(packageRoot(), "scripts", "make-notebook.js"), src, out], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      fs.readFileSync(nb, "utf8"),
      fs.readFileSync(out, "utf8"),
      `run: node scripts/make-notebook.js ${path.relative(packageRoot(), src)} ${name}`,
    );
    const cells = JSON.parse(fs.readFileSync(nb, "utf8")).cells as Record<string, unknown>[];
    for (const c of cells.filter((c) => c.cell_type === "code")) {
      assert.deepEqual([c.outputs, c.execution_count], [[], null]);
    }
  });
}
