/**
 * A mistake in what the user gave us (a file, a column, a value, a config field).
 * The message always names where the problem is, what was expected and what was found,
 * so that it can be fixed without reading our code.
 */
export interface InputErrorDetails {
  /** File (or folder) that holds the bad input. */
  file?: string;
  /** 1-based data row (header excluded) or a row key such as a dicom_id. */
  row?: number | string;
  /** Column of a table. */
  column?: string;
  /** Config field, option, argument or environment variable. */
  field?: string;
  expected: string;
  found: string;
  /** What the user can do about it. */
  hint?: string;
}

export class InputError extends Error {
  readonly details: InputErrorDetails;

  constructor(details: InputErrorDetails) {
    const where = [
      details.file !== undefined ? `${details.file}` : undefined,
      details.row !== undefined ? `row ${details.row}` : undefined,
      details.column !== undefined ? `column "${details.column}"` : undefined,
      details.field,
    ]
      .filter(Boolean)
      .join(", ");
    const hint = details.hint ? ` ${details.hint}` : "";
    super(`${where ? `${where}: ` : ""}expected ${details.expected}, found ${details.found}.${hint}`);
    this.name = "InputError";
    this.details = details;
  }
}

/** Short, printable rendering of a found value (strings quoted, long values cut). */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string")
    return v === "" ? "an empty string" : JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v;
}
