/**
 * A static, self-contained HTML report: figures, tables and text in one file that opens offline
 * in any browser (plotly.js is inlined once in the page head; nothing is fetched).
 */
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "../util/atomicWrite";
import { InputError, describeValue } from "../util/errors";
import { escapeHtml } from "../util/html";
import { checkString } from "../util/validate";
import { plotlyScript, plotlyVersion } from "./plotly";
import { asFigure, figureHtml, renderHtml, RenderOptions } from "./render";

/**
 * A report section: a figure (or live training curves), a table (arquero, danfo, rows), text
 * (a paragraph; blank lines separate paragraphs), `{ heading }`, `{ html }` (trusted markup, as
 * is), or anything with `toHTML()`, `html()` or `summary()`.
 */
export type ReportSection = unknown;

export interface ReportOptions extends RenderOptions {
  title: string;
  sections: readonly ReportSection[];
  /** Where to write the HTML file (folders are created). */
  file: string;
}

/** Writes the report and returns the absolute path of the file. */
export function report(opts: ReportOptions): string {
  checkString(opts.title, "title");
  if (!Array.isArray(opts.sections))
    throw new InputError({
      field: "sections",
      expected: "an array of figures, tables and text",
      found: describeValue(opts.sections),
    });
  checkString(opts.file, "file");
  const file = path.resolve(opts.file);
  const body = opts.sections.map((s) => `<section>\n${sectionHtml(s, opts)}\n</section>`).join("\n");
  const hasFigure = opts.sections.some((s) => asFigure(s) !== undefined);
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; }
section { margin: 1.2em 0; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.4em 0 1em; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 10px; text-align: right; font-variant-numeric: tabular-nums; }
thead th { border-bottom: 1px solid #999; }
tbody th, td:first-child, thead th:first-child { text-align: left; }
tbody tr:nth-child(even) { background: #f7f7f7; }
pre { background: #f7f7f7; padding: 0.6em 0.8em; overflow-x: auto; font-size: 0.85em; }
footer { color: #777; font-size: 0.8em; margin-top: 3em; }
</style>
${hasFigure ? plotlyScript() : ""}
</head>
<body>
<h1>${escapeHtml(opts.title)}</h1>
${body}
<footer>Written by ehr-msn on ${new Date().toISOString().slice(0, 10)}${hasFigure ? `; figures drawn by plotly.js ${escapeHtml(plotlyVersion())}, embedded in this file` : ""}.</footer>
</body>
</html>
`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, html);
  return file;
}

function sectionHtml(s: ReportSection, opts: RenderOptions): string {
  const fig = asFigure(s);
  if (fig) return figureHtml(fig);
  if (typeof s === "string")
    return s
      .split(/\n\s*\n/)
      .map((p) => `<p>${escapeHtml(p.trim())}</p>`)
      .join("\n");
  const o = s as { heading?: unknown; html?: unknown } | null;
  if (o && typeof o === "object" && Object.keys(o).length === 1) {
    if (typeof o.heading === "string") return `<h2>${escapeHtml(o.heading)}</h2>`;
    if (typeof o.html === "string") return o.html;
  }
  return renderHtml(s, opts);
}
