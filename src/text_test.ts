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

Deno.test("didYouMean over apt's 60,000 names: nothing for a 300-character name, the near one for a typo", () => {
  // Its speed is a figure of `deno task bench scaling`, not asserted here.
  const names = Array.from({ length: 60_000 }, (_, i) => `libpackage-name-${i}`);
  assert.equal(didYouMean("a".repeat(300), names), undefined);
  assert.equal(didYouMean("libpackage-name-4242x", names), "libpackage-name-4242");
});

Deno.test("didYouMean counts two swapped letters as one typo", () => {
  assert.equal(didYouMean("ngnix", ["xonix", "nginx", "bash"]), "nginx");
});
