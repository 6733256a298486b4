/**
 * The MIMIC-CXR-JPG and MIMIC-IV layout (files, columns, time formats, image paths), shared by the cohort
 * reader and the synthetic generator.
 */
export * from "./layout";
export * from "./time";
