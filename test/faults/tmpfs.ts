/**
 * A tiny tmpfs for the disk-full tests: a real ENOSPC from the kernel rather than a mocked write.
 * Mounting needs root (CAP_SYS_ADMIN); where it is refused the tests are skipped with the reason.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as os from "node:os";

/** Mounts a tmpfs of `kib` KiB on a new folder; returns the folder, or the reason it could not. */
export function mountTmpfs(kib: number): { dir: string } | { skip: string } {
  // Not test/support's tempDir: its removal at exit would run into the mount point before the unmount.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ehr-msn-tmpfs-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", dir], { encoding: "utf8" });
  const refused = r.error
    ? `cannot run mount: ${r.error.message}`
    : r.status !== 0
      ? r.stderr.trim() || `exit ${r.status}`
      : "";
  if (!refused) {
    process.on("exit", () => {
      spawnSync("umount", ["-l", dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { dir };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { skip: `cannot mount a tmpfs here (${refused})` };
}

/** Fills the file system of `dir` with a filler file until the kernel says ENOSPC. */
export function fillDisk(dir: string): void {
  const fd = fs.openSync(path.join(dir, "filler"), "w");
  const block = Buffer.alloc(1024, 1);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** The names in `dir` (recursively) that look like a temporary file of an interrupted write. */
export function temporaries(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((n) => /\.tmp-|(^|\/)\.tmp-/.test(n));
}
