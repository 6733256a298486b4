#!/usr/bin/env node
// Writes a clean .ipynb (no outputs, tslab kernelspec) from a plain-text source in the percent format:
// cells are separated by lines `# %% [markdown]` or `# %%`, and markdown lines carry a `# ` comment prefix
// (a lone `#` is a blank line, i.e. a paragraph break), which is removed here so that the markdown renders.
// Tutorials are kept as notebooks/src/*.ts.md so that diffs stay readable; this renders them.
"use strict";
const fs = require("fs");
const [src, out] = process.argv.slice(2);
const text = fs.readFileSync(src, "utf8");
const cells = [];
for (const chunk of text.split(/^# %%/m).slice(1)) {
  const nl = chunk.indexOf("\n");
  const head = chunk.slice(0, nl).trim();
  const markdown = head === "[markdown]";
  const body = chunk.slice(nl + 1).replace(/\s+$/, "");
  const lines = body
    .split("\n")
    .map((l) => (markdown ? l.replace(/^# ?/, "") : l))
    .map((l, i, a) => (i < a.length - 1 ? `${l}\n` : l));
  cells.push(
    markdown
      ? { cell_type: "markdown", metadata: {}, source: lines }
      : { cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: lines },
  );
}
const nb = {
  cells,
  metadata: {
    kernelspec: { display_name: "ehr-msn (TypeScript)", language: "typescript", name: "ehr-msn" },
    language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
  },
  nbformat: 4,
  nbformat_minor: 5,
};
nb.cells.forEach((c, i) => {
  c.id = `cell-${i}`;
});
fs.writeFileSync(out, JSON.stringify(nb, null, 1) + "\n");
