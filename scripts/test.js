#!/usr/bin/env node
// `npm test`: compile, provision what the tests need (the Jupyter venv and the kernel),
// then run every test under dist/test with Node's test runner. Extra arguments are passed to
// `node --test` (e.g. `npm test -- --test-name-pattern=auroc`).
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const step = (what, cmd, args) => {
  console.log(`\n== ${what}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

// A clean dist/ so that a deleted test cannot linger as a stale compiled file.
fs.rmSync(path.join(root, "dist"), { recursive: true, force: true });
step("compile", process.execPath, [require.resolve("typescript/bin/tsc"), "-p", root]);
step("jupyter venv and kernel", process.execPath, [path.join(root, "bin", "ehr-msn.js"), "kernel", "setup"]);
// Explicit file list: given a folder, Node 20's runner would also run the helpers in test/support.
const testFiles = (dir) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith(".test.js") ? [path.join(dir, e.name)] : [],
    );
const extra = process.argv.slice(2);
step("tests", process.execPath, [
  "--test",
  "--test-reporter=spec",
  ...extra,
  ...testFiles(path.join(root, "dist", "test")).sort(),
]);
