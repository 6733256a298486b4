/**
 * Checks of option values at a function's boundary, one error shape for all of them:
 * `InputError({ field, expected, found })`, with the file when the value came from one.
 * Each returns the checked value, so a default and its check read as one line:
 * `const batch = checkInt(options.batchSize ?? 64, "batchSize", { min: 1 })`.
 */
import { InputError, describeValue } from "./errors";

export interface Where {
  /** The file the value was read from (a config file), when there is one. */
  file?: string;
}

export interface IntBounds extends Where {
  min?: number;
  max?: number;
}

/** An integer within [min, max] (either bound may be left out). */
export function checkInt(value: unknown, field: string, bounds: IntBounds = {}): number {
  const { min, max } = bounds;
  const ok =
    typeof value === "number" &&
    Number.isInteger(value) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max);
  if (!ok)
    throw new InputError({ file: bounds.file, field, expected: intExpected(min, max), found: describeValue(value) });
  return value as number;
}

export interface NumberBounds extends Where {
  min?: number;
  max?: number;
  /** The bound itself is not allowed (an open interval on that side). */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** A finite number within the bounds, e.g. `{ min: 0, max: 1, maxExclusive: true }` for [0, 1). */
export function checkNumber(value: unknown, field: string, bounds: NumberBounds = {}): number {
  const { min, max, minExclusive, maxExclusive } = bounds;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (min === undefined || (minExclusive ? value > min : value >= min)) &&
    (max === undefined || (maxExclusive ? value < max : value <= max));
  if (!ok)
    throw new InputError({ file: bounds.file, field, expected: numberExpected(bounds), found: describeValue(value) });
  return value as number;
}

/** A probability in [0, 1]. */
export function checkProbability(value: unknown, field: string, where: Where = {}): number {
  return checkNumber(value, field, { ...where, min: 0, max: 1 });
}

export interface OneOfStyle extends Where {
  /** List the allowed values bare (`one of zeros, ones, ignore`) rather than quoted, for keyword lists. */
  bare?: boolean;
}

/** One of the allowed values (strings or numbers), compared with `===`. */
export function checkOneOf<T extends string | number>(
  value: unknown,
  field: string,
  allowed: readonly T[],
  where: OneOfStyle = {},
): T {
  if (!allowed.includes(value as T)) {
    throw new InputError({
      file: where.file,
      field,
      expected: `one of ${allowed.map((a) => (where.bare ? String(a) : JSON.stringify(a))).join(", ")}`,
      found: describeValue(value),
    });
  }
  return value as T;
}

/** A boolean. */
export function checkBoolean(value: unknown, field: string, where: Where = {}): boolean {
  if (typeof value !== "boolean")
    throw new InputError({ file: where.file, field, expected: "true or false", found: describeValue(value) });
  return value;
}

/** A non-empty string. */
export function checkString(value: unknown, field: string, where: Where = {}): string {
  if (typeof value !== "string" || value === "") {
    throw new InputError({ file: where.file, field, expected: "a non-empty string", found: describeValue(value) });
  }
  return value;
}

function intExpected(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `an integer in ${min}..${max}`;
  if (min === 1) return "a positive integer";
  if (min === 0) return "a non-negative integer";
  if (min !== undefined) return `an integer >= ${min}`;
  if (max !== undefined) return `an integer <= ${max}`;
  return "an integer";
}

function numberExpected(b: NumberBounds): string {
  if (b.min !== undefined && b.max !== undefined) {
    return `a number in ${b.minExclusive ? "(" : "["}${b.min}, ${b.max}${b.maxExclusive ? ")" : "]"}`;
  }
  if (b.min !== undefined)
    return b.min === 0 && b.minExclusive ? "a positive number" : `a number ${b.minExclusive ? ">" : ">="} ${b.min}`;
  if (b.max !== undefined) return `a number ${b.maxExclusive ? "<" : "<="} ${b.max}`;
  return "a finite number";
}
