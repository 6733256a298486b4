/** Choice and set-up of the TensorFlow.js compute backend. Nothing else in the code names a backend. */
export { init, info, ensure, forcedBackend, BACKENDS } from "./init";
export { readVariablesAhead } from "./webgpu";
export type { AdapterSummary } from "./webgpu";
export type { BackendName, BackendInfo, InitOptions } from "./init";
export { doctor } from "./doctor";
export type { DoctorCheck } from "./doctor";
