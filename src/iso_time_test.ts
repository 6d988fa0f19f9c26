import assert from "node:assert/strict";
import { isoTime } from "./iso_time.ts";

Deno.test("isoTime writes what toISOString writes, milliseconds and padding included", () => {
  const times = [
    0,
    1,
    951_782_400_000,
    1_796_173_323_045,
    253_402_300_799_999,
    -62_135_596_800_000,
  ];
  for (const time of [...times, Date.now()]) {
    assert.equal(isoTime(new Date(time)), new Date(time).toISOString());
  }
});

Deno.test("isoTime refuses an invalid date as toISOString does", () => {
  assert.throws(() => isoTime(new Date(Number.NaN)), RangeError);
});
