import assert from "node:assert/strict";
import { outputTail, tail } from "./_output.ts";

Deno.test("tail keeps the last non-empty lines and cuts long output from the front", () => {
  assert.equal(tail("a\n\nb\nc\nd\ne\nf\n\n"), "b\nc\nd\ne\nf");
  assert.equal(tail("x".repeat(900)), `...${"x".repeat(800)}`);
});

Deno.test("outputTail prefers stderr, falls back to stdout, and says when there was none", () => {
  assert.equal(outputTail("out\n", "err\n"), "err");
  assert.equal(outputTail("out\n", "  \n"), "out");
  assert.equal(outputTail("", ""), "(no output)");
});
