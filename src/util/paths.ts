import * as path from "path";

/** The folder holding ehr-msn's package.json (this file is compiled to dist/src/util/). */
export function packageRoot(): string {
  return path.resolve(__dirname, "..", "..", "..");
}
