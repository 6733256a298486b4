#!/usr/bin/env node
// After `npm install` / `npm ci` in this repository: make `require("ehr-msn")` and
// `import ... from "ehr-msn"` resolve here (notebooks import the library by its package name,
// as a user who installed it would), provide the tensorflow backend, and compile.
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
// Installed as a dependency of another project: the published package already has dist/.
if (
  path.basename(path.dirname(root)) === "node_modules" ||
  path.basename(path.dirname(path.dirname(root))) === "node_modules"
)
  process.exit(0);

const link = path.join(root, "node_modules", "ehr-msn");
try {
  if (fs.readlinkSync(link) !== "..") throw new Error("stale");
} catch {
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync("..", link, "dir");
  console.log("ehr-msn: linked node_modules/ehr-msn -> . (notebooks import the library by name)");
}

require("./provision-tensorflow.js");

console.log("ehr-msn: compiling TypeScript (tsc)");
const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", root], { stdio: "inherit" });
process.exit(tsc.status ?? 1);
