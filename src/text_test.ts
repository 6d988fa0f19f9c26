import assert from "node:assert/strict";
import { didYouMean, parseDuration } from "./text.ts";

Deno.test("didYouMean suggests a near field name and nothing for a far one", () => {
  assert.equal(didYouMean("contnet", ["content", "owner", "mode"]), "content");
  assert.equal(didYouMean("zzzzzz", ["content", "owner", "mode"]), undefined);
});

Deno.test("parseDuration reads seconds, 30s, 5m and 1h, and refuses anything else", () => {
  assert.equal(parseDuration(300), 300);
  assert.equal(parseDuration("1.5"), 1.5);
  assert.equal(parseDuration(" 30s "), 30);
  assert.equal(parseDuration("5m"), 300);
  assert.equal(parseDuration("1h"), 3600);
  for (const bad of ["5d", "", "-1", "m", null, -1, Infinity]) {
    assert.equal(parseDuration(bad), null, String(bad));
  }
});
