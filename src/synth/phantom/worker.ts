/** Worker thread of `writePhantoms`: renders and writes the chunks of specs it is sent. */
import { parentPort } from "worker_threads";
import type { PhantomSpec } from "../phantoms";
import { writePhantom } from "./write";

parentPort?.on("message", async (m: { specs: PhantomSpec[]; job: { longSide: number; quality: number } }) => {
  for (const spec of m.specs) {
    try {
      await writePhantom(spec, m.job);
    } catch (e) {
      parentPort?.postMessage({ ok: false, file: spec.file, message: e instanceof Error ? e.message : String(e) });
      return;
    }
  }
  parentPort?.postMessage({ ok: true, written: m.specs.length });
});
