/**
 * Temporary folders for tests, removed when the test process exits (`node --test` runs each test file
 * in its own process), so that repeated test runs do not fill the disk.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder `<tmp>/ehr-msn-<prefix>-XXXXXX`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ehr-msn-${prefix}-`));
  made.push(dir);
  return dir;
}
