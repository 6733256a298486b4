import * as fs from "node:fs";
import * as path from "node:path";
import { SWIFTSHADER_ICD } from "../../src/backend/webgpu";

/**
 * Why the webgpu tests cannot run here, or undefined when they can. They run on SwiftShader (Chromium's
 * software Vulkan driver, which CI installs) unless a Vulkan driver list is given; they need libvulkan.so.1.
 */
export function webgpuSkipReason(): string | undefined {
  const forced = process.env.EHR_MSN_BACKEND;
  if (forced && forced !== "webgpu") return `EHR_MSN_BACKEND=${forced} forces another backend`;
  if (process.platform !== "linux") return "the SwiftShader check is set up for Linux only";
  // The system's loader, or one on LD_LIBRARY_PATH (e.g. Chromium's copy in /usr/lib/chromium).
  const dirs = [
    "/usr/lib/x86_64-linux-gnu",
    "/lib/x86_64-linux-gnu",
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":"),
  ];
  if (!dirs.some((d) => d !== "" && fs.existsSync(path.join(d, "libvulkan.so.1"))))
    return "libvulkan.so.1 is missing (apt-get install libvulkan1, or LD_LIBRARY_PATH=/usr/lib/chromium)";
  if (!process.env.VK_DRIVER_FILES && !fs.existsSync(SWIFTSHADER_ICD))
    return `no Vulkan driver for the test: ${SWIFTSHADER_ICD} (Debian's chromium package) is absent`;
  return undefined;
}

/** Makes this test process run on webgpu, software adapter included; call before `backend.init`. */
export function forceWebgpu(): void {
  process.env.EHR_MSN_BACKEND = "webgpu";
}
