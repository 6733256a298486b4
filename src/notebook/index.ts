/**
 * The notebook layer: rich display in tslab cells, in-place progress, the Jupyter kernel and a
 * project-local JupyterLab. Loading it inside a tslab kernel registers the notebook progress
 * renderer (see display.ts).
 */
export {
  show,
  mimeBundle,
  liveDisplay,
  LiveDisplay,
  initNotebookMode,
  inKernel,
  registerNotebookProgress,
} from "./display";
export type { MimeBundle, ShowOptions } from "./display";
export { installKernel, setupJupyter, executeNotebook, KERNEL_NAME } from "./jupyter";
export type { KernelInstallOptions, ExecuteResult, NotebookOutput } from "./jupyter";
export { startLab } from "./lab";
export type { LabServer, LabOptions } from "./lab";
