/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts, which measures ehr-msn side by side
 * with the reference tool (PyTorch, scikit-learn, pandas) in the same run, prints the figures
 * and ratios, and writes bench/results/<name>.json.
 */
import * as fs from "fs";
import * as path from "path";

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".js") && f !== "run.js")
    .map((f) => f.slice(0, -3))
    .sort();
  if (!name || !available.includes(name)) {
    console.error(`usage: npm run bench -- <name>\n  where <name> is one of: ${available.join(", ")}`);
    process.exitCode = 2;
    return;
  }
  const mod = require(path.join(__dirname, `${name}.js`)) as { run(args: string[]): Promise<void> };
  await mod.run(args);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
