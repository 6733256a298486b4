/**
 * The notebook layer: rich display in tslab cells and in-place progress (the kernel and JupyterLab
 * are the jupyter layer's). Loading it inside a tslab kernel registers the notebook progress
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
