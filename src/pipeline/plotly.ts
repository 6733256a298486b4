/**
 * plotly.js for offline HTML: read from the installed `plotly.js-dist-min` (never fetched) and placed
 * inline in a report or a notebook output.
 */
import * as fs from "fs";

let plotlySource: string | undefined;

/** plotly.js (the installed plotly.js-dist-min), safe to place inside a <script> element. */
export function plotlyLibrary(): string {
  // Read once: 4.8 MB. A "</script" inside the code would end the element early; the bundle has
  // none today, and the escape keeps it so (in JS strings and regexes "<\/" equals "</").
  plotlySource ??= fs.readFileSync(require.resolve("plotly.js-dist-min"), "utf8").replace(/<\/script/gi, "<\\/script");
  return plotlySource;
}

/** plotly.js's version, from its package.json. */
export function plotlyVersion(): string {
  return (require("plotly.js-dist-min/package.json") as { version: string }).version;
}

/** plotly.js as a <script> element that defines window.Plotly. */
export function plotlyScript(): string {
  return `<script type="text/javascript">${plotlyLibrary()}</script>`;
}
