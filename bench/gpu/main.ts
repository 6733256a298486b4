/** Entry of the GPU check's bundle (bench/gpu/prepare.ts): `node main.js [--smoke] [--batch N] [--steps N]`. */
import { run } from "./check";

run(process.argv.slice(2)).catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
