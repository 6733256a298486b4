/**
 * `npm run bench -- gpu [--smoke] [--batch 64] [--steps 3]`: the GPU check (bench/gpu/check.ts) in this tree.
 * `npm run bench -- gpu --prepare [--out DIR]`: builds the self-contained folder for a GPU machine without
 * Node or network (bench/gpu/prepare.ts) and runs its smoke test here.
 */
import { run as check } from "./gpu/check";
import { prepare } from "./gpu/prepare";

export async function run(args: string[]): Promise<void> {
  if (args.includes("--prepare")) await prepare(args);
  else await check(args);
}
