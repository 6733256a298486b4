import { withConfigFile } from "../configFile";
import { Command } from "commander";
import { doctor } from "../../backend";

export function registerDoctor(program: Command): void {
  withConfigFile(program.command("doctor"))
    .description("check which compute backends run here, and say why the others do not and what to do")
    .option("--json", "print the checks as JSON")
    .action((opts: { json?: boolean }) => {
      const checks = doctor();
      if (opts.json) {
        console.log(JSON.stringify(checks, null, 2));
      } else {
        for (const c of checks) {
          console.log(`${c.ok ? "ok  " : "no  "} ${c.backend.padEnd(15)} ${c.detail}`);
          if (c.fix) console.log(`     ${" ".repeat(15)} what to do: ${c.fix}`);
        }
        const best = checks.find((c) => c.ok);
        console.log(best ? `\nThe library will use: ${best.backend}` : "\nNo backend runs: reinstall with `npm ci`.");
      }
      if (!checks.some((c) => c.ok)) process.exitCode = 1;
    });
}
