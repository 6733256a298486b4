/**
 * The jupyter layer: the project-local venv with the pinned JupyterLab, the "ehr-msn (TypeScript)"
 * kernel, headless notebook execution and JupyterLab itself. The in-cell display lives in `notebook`.
 */
export { installKernel, KERNEL_NAME } from "./kernel";
export type { KernelInstallOptions } from "./kernel";
export { setupJupyter } from "./venv";
export { venvPython } from "./venvPaths";
export { executeNotebook } from "./execute";
export type { ExecuteResult, NotebookOutput } from "./execute";
export { openLab, startLab } from "./lab";
export type { LabServer, LabOptions } from "./lab";
