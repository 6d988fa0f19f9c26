import * as assert from "node:assert/strict";
import { seconds } from "./_common.ts";

Deno.test("durations on the command line stop where a timer would overflow", () => {
  assert.equal(seconds("5m"), 300);
  assert.equal(seconds("2000000"), 2_000_000);
  assert.throws(() => seconds("1e9"), /expected seconds or a duration/);
  assert.throws(
    () => seconds("2000001"),
    /^UsageError: expected at most 2000000 seconds \(23 days\), got "2000001"$/,
  );
  assert.throws(() => seconds("600h"), /at most 2000000 seconds/);
});
