/** Parsers of numeric flag values for commander: a bad value is an InputError naming the flag. */
import { InputError } from "../util/errors";

/** A parser that keeps the numbers `ok` accepts and refuses the others as not `expected`. */
function numberFlag(flag: string, ok: (n: number) => boolean, expected: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!ok(n)) throw new InputError({ field: flag, expected, found: JSON.stringify(v) });
    return n;
  };
}

export const intFlag = (flag: string) => numberFlag(flag, Number.isInteger, "an integer");
export const finiteFlag = (flag: string) => numberFlag(flag, Number.isFinite, "a number");
export const fractionFlag = (flag: string) => numberFlag(flag, (n) => n >= 0 && n < 1, "a fraction in [0, 1)");
