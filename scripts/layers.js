#!/usr/bin/env node
// The layer rule: a folder of src/ imports only from the folders below it in LAYERS (docs/design.md says
// why each sits where it does). `node scripts/layers.js` prints the import graph between folders and
// exits 1, naming file and line, on any import that climbs the order or names an unknown folder.
// `--src DIR` checks another tree (the test plants an upward import in a copy).
"use strict";
const fs = require("fs");
const path = require("path");

/** Top to bottom: each layer may import the layers after it, never those before it. */
const LAYERS = [
  "notebook",
  "cli",
  "jupyter",
  "pipeline",
  "eval",
  "train",
  "model",
  "images",
  "cohort",
  "synth",
  "mimic",
  "viz",
  "projection",
  "backend",
  "util",
];

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']*)["']/gm;

function sourceFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
    );
}

/** The layer a source file belongs to ("" for src/index.ts, the public surface above every layer). */
function layerOf(src, file) {
  const rel = path.relative(src, file).split(path.sep);
  return rel.length > 1 ? rel[0] : "";
}

/** The layer an import names: its first folder under `src` ("../cohort" names the cohort layer itself). */
function targetLayer(src, resolved) {
  const first = path.relative(src, resolved).split(path.sep)[0];
  return first === "index" || first === "" ? "" : first;
}

function check(src) {
  const edges = new Map();
  const problems = [];
  for (const file of sourceFiles(src)) {
    const from = layerOf(src, file);
    if (from !== "" && !LAYERS.includes(from)) {
      problems.push(`${path.relative(src, file)}: folder "${from}" is not a layer (scripts/layers.js LAYERS)`);
      continue;
    }
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      if (m[1].endsWith(".json")) continue; // package.json and other data, not a layer
      const to = targetLayer(src, path.resolve(path.dirname(file), m[1]));
      if (to === from) continue;
      const line = text.slice(0, m.index).split("\n").length;
      const where = `${path.relative(src, file)}:${line}`;
      if (to === "" || !LAYERS.includes(to)) {
        problems.push(`${where}: imports "${m[1]}", outside the layers`);
        continue;
      }
      const key = `${from || "index"} -> ${to}`;
      edges.set(key, (edges.get(key) ?? 0) + 1);
      if (from !== "" && LAYERS.indexOf(to) < LAYERS.indexOf(from)) {
        problems.push(`${where}: ${from} imports ${to} ("${m[1]}"), a layer above it`);
      }
    }
  }
  return { edges, problems };
}

function main() {
  const i = process.argv.indexOf("--src");
  const src = path.resolve(i > 0 ? process.argv[i + 1] : path.join(__dirname, "..", "src"));
  const { edges, problems } = check(src);
  if (process.argv.includes("--graph")) {
    const byFrom = new Map();
    for (const [key, n] of edges) {
      const [from, to] = key.split(" -> ");
      byFrom.set(from, [...(byFrom.get(from) ?? []), `${to} (${n})`]);
    }
    for (const from of ["index", ...LAYERS])
      if (byFrom.has(from)) console.log(`${from.padEnd(10)} -> ${byFrom.get(from).join(", ")}`);
  }
  if (problems.length > 0) {
    console.error(`layers: ${problems.length} import(s) break the layer order (${LAYERS.join(" > ")}):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log(`layers: ok (${LAYERS.join(" > ")})`);
}

if (require.main === module) main();
module.exports = { LAYERS, check };
