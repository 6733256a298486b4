import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { packageRoot } from "../../src/util/paths";
import { tempDir } from "../support/tempDir";

const script = path.join(packageRoot(), "scripts", "layers.js");

function layers(src: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [script, "--src", src], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

test("the layer rule passes on src/ and fails on a copy with one planted upward import, naming file and line", () => {
  const copy = path.join(tempDir("layers"), "src");
  fs.cpSync(path.join(packageRoot(), "src"), copy, { recursive: true });
  const clean = layers(copy);
  assert.equal(clean.status, 0, clean.out);

  const planted = path.join(copy, "util", "planted.ts");
  fs.writeFileSync(planted, 'import { show } from "../notebook";\nexport const x = show;\n');
  const bad = layers(copy);
  assert.equal(bad.status, 1);
  assert.match(bad.out, /util\/planted\.ts:1: util imports notebook \("\.\.\/notebook"\), a layer above it/);
});

test("the layer rule: same-layer and downward imports pass; an unknown folder and an import outside the layers fail", () => {
  const src = path.join(tempDir("layers-small"), "src");
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.writeFileSync(path.join(src, rel), text);
  };
  write("util/a.ts", "export const a = 1;\n");
  write("model/b.ts", 'import { a } from "../util/a";\nimport { c } from "./c";\nexport const b = a + c;\n');
  write("model/c.ts", "export const c = 2;\n");
  write("index.ts", 'export * as model from "./model/b";\n');
  assert.equal(layers(src).status, 0, layers(src).out);

  write("stuff/d.ts", "export const d = 3;\n");
  write("model/e.ts", 'export { d } from "../../outside";\n');
  const r = layers(src);
  assert.equal(r.status, 1);
  assert.match(r.out, /stuff\/d\.ts: folder "stuff" is not a layer/);
  assert.match(r.out, /model\/e\.ts:1: imports "\.\.\/\.\.\/outside", outside the layers/);
});
