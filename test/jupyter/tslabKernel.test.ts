/**
 * The kernel launcher (src/jupyter/tslabKernel.ts): tslab's other sockets are bound only once iopub
 * is, so that no request is served while iopub is still binding. A stand-in server records the order.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { bindIopubFirst, type ZmqServerLike } from "../../src/jupyter/tslabKernel";
import { installKernel } from "../../src/jupyter/kernel";
import { tempDir } from "../support/tempDir";

test("bindIopubFirst: shell, control, stdin and heartbeat bind after iopub has bound", async () => {
  const events: string[] = [];
  class Server implements ZmqServerLike {
    iopub = "iopub";
    async bindSocket(sock: unknown, port: number): Promise<void> {
      void port;
      events.push(`start ${sock}`);
      // iopub takes longest, as a bind that is slow to finish
      await new Promise((resolve) => setTimeout(resolve, sock === "iopub" ? 30 : 1));
      events.push(`bound ${sock}`);
    }
  }
  bindIopubFirst(Server);
  const s = new Server();
  // As tslab's init: every bind started at once, iopub first.
  await Promise.all(["iopub", "shell", "control", "stdin", "hb"].map((sock, port) => s.bindSocket(sock, port)));
  assert.deepEqual(events.slice(0, 2), ["start iopub", "bound iopub"]);
  assert.equal(events.length, 10);
});

test("the installed kernelspec starts tslab through the launcher", () => {
  const dir = installKernel({ prefix: tempDir("kernelspec") });
  const spec = JSON.parse(fs.readFileSync(path.join(dir, "kernel.json"), "utf8"));
  assert.equal(spec.argv[0], process.execPath);
  assert.equal(path.basename(spec.argv[1]), "tslabKernel.js");
  assert.ok(fs.existsSync(spec.argv[1]), spec.argv[1]);
  assert.deepEqual(spec.argv.slice(2), ["kernel", "--config-path", "{connection_file}"]);
});
