#!/usr/bin/env node
// `npm run lint`: the formatter's check, ESLint, then the layer rule (scripts/layers.js); stops at the first
// that fails. `npm run format` rewrites what the formatter's check complains about.
"use strict";
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..");
const steps = [
  [
    "prettier",
    [
      path.join(root, "node_modules", "prettier", "bin", "prettier.cjs"),
      "--check",
      "--log-level",
      "warn",
      "**/*.{ts,js,mjs}",
    ],
  ],
  ["eslint", [path.join(root, "node_modules", "eslint", "bin", "eslint.js"), "."]],
  ["layers", [path.join(__dirname, "layers.js")]],
];
for (const [name, args] of steps) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`lint: ${name} failed`);
    process.exit(r.status ?? 1);
  }
}
