/**
 * Parsers of numeric flag values for commander, checked by util/validate: a bad value is an
 * InputError naming the flag and quoting the text given.
 */
import { InputError } from "../util/errors";
import { checkInt, checkNumber, IntBounds, NumberBounds } from "../util/validate";

/** A parser that reads the text as a number and passes it to `check`. */
function numberFlag(check: (n: number) => number): (text: string) => number {
  return (text: string) => {
    try {
      return check(text.trim() === "" ? NaN : Number(text));
    } catch (e) {
      if (e instanceof InputError) throw new InputError({ ...e.details, found: JSON.stringify(text) });
      throw e;
    }
  };
}

/** An integer flag, within `bounds` when given. */
export const intFlag = (flag: string, bounds: IntBounds = {}) => numberFlag((n) => checkInt(n, flag, bounds));
/** A finite number flag, within `bounds` when given. */
export const finiteFlag = (flag: string, bounds: NumberBounds = {}) => numberFlag((n) => checkNumber(n, flag, bounds));
/** A fraction in [0, 1). */
export const fractionFlag = (flag: string) => finiteFlag(flag, { min: 0, max: 1, maxExclusive: true });
