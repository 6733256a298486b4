import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { packageRoot } from "../../src/util/paths";

/**
 * A Python that can import `modules` (the reference tools), or undefined with the reason.
 * Looks at .venv-ref (made by `npm run ref:setup`), EHR_MSN_REF_PYTHON, then python3.
 */
export function referencePython(modules: string[]): { python?: string; reason?: string } {
  const candidates = [
    process.env.EHR_MSN_REF_PYTHON,
    path.join(packageRoot(), ".venv-ref", "bin", "python"),
    "python3",
  ];
  for (const py of candidates) {
    if (!py || (py.includes("/") && !fs.existsSync(py))) continue;
    const r = spawnSync(py, ["-c", modules.map((m) => `import ${m}`).join("; ")], { encoding: "utf8" });
    if (r.status === 0) return { python: py };
  }
  return { reason: `no Python here can import ${modules.join(", ")} (run \`npm run ref:setup\` to create .venv-ref)` };
}

/** Runs a script of bench/python/ and parses the JSON object it prints last. */
export function runPython(
  python: string,
  script: string,
  args: string[],
  opts: { timeoutMs?: number } = {},
): Record<string, unknown> {
  const file = path.join(packageRoot(), "bench", "python", script);
  const r = spawnSync(python, [file, ...args], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
    timeout: opts.timeoutMs ?? 30 * 60_000,
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${(r.stderr || "").slice(-3000)}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}
