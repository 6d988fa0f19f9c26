import assert from "node:assert/strict";
import { describeValue, formatPath } from "./problems.ts";

Deno.test("formatPath writes list indexes in brackets", () => {
  assert.equal(formatPath(["configure", "files", 0, "mode"]), "configure.files[0].mode");
});

Deno.test("describeValue quotes strings and names other types", () => {
  assert.equal(describeValue("644x"), '"644x"');
  assert.equal(describeValue(644), "number 644");
  assert.equal(describeValue([1]), "a list");
});
