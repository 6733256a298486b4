import { withConfigFile } from "../configFile";
import { Command } from "commander";
import { doctor, forcedBackend, type DoctorCheck } from "../../backend";

/** The last line of `doctor`: the backend the library will use, EHR_MSN_BACKEND's when it is set. */
function verdict(checks: DoctorCheck[]): { line: string; ok: boolean } {
  const forced = forcedBackend();
  if (forced) {
    const ok = checks.some((c) => c.backend === forced && c.ok);
    return ok
      ? { line: `The library will use: ${forced} (EHR_MSN_BACKEND)`, ok }
      : {
          line:
            `EHR_MSN_BACKEND=${forced}, but ${forced} does not run here (see above): every command will stop. ` +
            "Unset EHR_MSN_BACKEND to let the library choose, or name a backend marked ok.",
          ok,
        };
  }
  const best = checks.find((c) => c.ok);
  return best
    ? { line: `The library will use: ${best.backend}`, ok: true }
    : { line: "No backend runs: reinstall with `npm ci`.", ok: false };
}

export function registerDoctor(program: Command): void {
  withConfigFile(program.command("doctor"))
    .description(
      "check which compute backends run here, and say why the others do not and what to do (EHR_MSN_BACKEND, when set, is the one used)",
    )
    .option("--json", "print the checks as JSON")
    .action((opts: { json?: boolean }) => {
      // An invalid EHR_MSN_BACKEND is named before the checks (minutes on some machines) run.
      forcedBackend();
      const checks = doctor();
      const { line, ok } = verdict(checks);
      if (opts.json) {
        console.log(JSON.stringify(checks, null, 2));
      } else {
        for (const c of checks) {
          console.log(`${c.ok ? "ok  " : "no  "} ${c.backend.padEnd(15)} ${c.detail}`);
          if (c.fix) console.log(`     ${" ".repeat(15)} what to do: ${c.fix}`);
        }
        console.log(`\n${line}`);
      }
      if (!ok) process.exitCode = 1;
    });
}
