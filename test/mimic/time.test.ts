/** MIMIC's time formats, on cases worked out by hand. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  dayOfYmd,
  daysFromCivil,
  civilFromDays,
  formatStudyTime,
  formatTimestamp,
  parseTimestamp,
  secondsOfStudyTime,
  ymdOf,
} from "../../src/mimic/time";

test("civil dates: 1970-01-01 is day 0, 2000-03-01 day 11017, and back", () => {
  assert.equal(daysFromCivil(1970, 1, 1), 0);
  assert.equal(daysFromCivil(2000, 3, 1), 11017); // 30 years of 365 days + 7 leap days + Jan 31 + Feb 29
  assert.deepEqual(civilFromDays(11017), { y: 2000, m: 3, d: 1 });
  assert.equal(dayOfYmd(21000229), NaN); // 2100 is not a leap year (MIMIC's shifted years)
  assert.equal(dayOfYmd(21040229), daysFromCivil(2104, 2, 29));
});

test("MIMIC-IV timestamps parse and print as YYYY-MM-DD HH:MM:SS", () => {
  const t = daysFromCivil(2150, 3, 12) * 86400 + 8 * 3600 + 46 * 60 + 32;
  assert.equal(parseTimestamp("2150-03-12 08:46:32"), t);
  assert.equal(parseTimestamp("2150-03-12T08:46:32"), t);
  assert.equal(parseTimestamp("2150-03-12"), t - (8 * 3600 + 46 * 60 + 32));
  assert.equal(formatTimestamp(t), "2150-03-12 08:46:32");
  assert.equal(parseTimestamp("06/01/2150 08:00"), NaN);
  assert.equal(parseTimestamp("2150-13-01 00:00:00"), NaN);
});

test("StudyTime is HHMMSS.fff with its leading zeros lost", () => {
  assert.equal(secondsOfStudyTime(84632.25), 8 * 3600 + 46 * 60 + 32.25);
  assert.equal(formatStudyTime(daysFromCivil(2150, 3, 12) * 86400 + 8 * 3600 + 46 * 60 + 32.25), "84632.25");
  assert.equal(secondsOfStudyTime(236000), NaN); // 60 minutes
  assert.equal(ymdOf(daysFromCivil(2150, 3, 12) * 86400 + 5), 21500312);
});
