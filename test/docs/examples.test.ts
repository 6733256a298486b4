/**
 * The examples of README.md and docs/design.md run as written: every ```ts block that imports from
 * "ehr-msn" is executed in a fresh Node process (in a temporary folder, importing the package by its
 * name, as a user's script would), and must finish without an error. A block whose first line says
 * `// Needs ...` (a Slurm cluster, say) is not run here; the test names it and says why.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as ts from "typescript";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";

/** The ```ts blocks of a markdown file that import the package. */
function examples(file: string): string[] {
  const text = fs.readFileSync(path.join(packageRoot(), file), "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => /from "ehr-msn"/.test(code));
}

/** TypeScript with top-level await, as a CommonJS script: imports become requires, the rest runs in an async function. */
function asScript(code: string): string {
  const imports: string[] = [];
  const body: string[] = [];
  for (const line of code.split("\n")) (/^import .* from "[^"]+";/.test(line) ? imports : body).push(line);
  const source = `${imports.join("\n")}\n(async () => {\n${body.join("\n")}\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
}

for (const file of ["README.md", "docs/design.md"]) {
  const blocks = examples(file);
  test(`${file}: its examples run as written (${blocks.length})`, { timeout: 600_000 }, (t) => {
    assert.ok(blocks.length > 0, `${file} has an example that imports "ehr-msn"`);
    for (const [i, code] of blocks.entries()) {
      const needs = /^\/\/ (Needs [^\n]*)/.exec(code);
      if (needs) {
        t.diagnostic(`${file}, example ${i + 1} not run: ${needs[1]}`);
        continue;
      }
      const dir = tempDir("example");
      fs.writeFileSync(path.join(dir, "example.js"), asScript(code));
      const r = spawnSync(process.execPath, ["example.js"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, NODE_PATH: path.join(packageRoot(), "node_modules"), EHR_MSN_QUIET: "1" },
      });
      assert.equal(r.status, 0, `${file}, example ${i + 1} failed:\n${r.stderr.slice(-3000)}`);
    }
  });
}
