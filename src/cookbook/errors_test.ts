import assert from "node:assert/strict";
import { CookbookError, describeValue, didYouMean, formatPath, formatProblem } from "./errors.ts";

Deno.test("formatPath writes list indexes in brackets", () => {
  assert.equal(formatPath(["configure", "files", 0, "mode"]), "configure.files[0].mode");
});

Deno.test("formatProblem prints file:line:col: path: message", () => {
  const text = formatProblem({
    at: { file: "web.yaml", line: 12, col: 5 },
    path: "a.b",
    message: "bad",
  });
  assert.equal(text, "web.yaml:12:5: a.b: bad");
});

Deno.test("didYouMean suggests a near field name and nothing for a far one", () => {
  assert.equal(didYouMean("contnet", ["content", "owner", "mode"]), "content");
  assert.equal(didYouMean("zzzzzz", ["content", "owner", "mode"]), undefined);
});

Deno.test("describeValue quotes strings and names other types", () => {
  assert.equal(describeValue("644x"), '"644x"');
  assert.equal(describeValue(644), "number 644");
  assert.equal(describeValue([1]), "a list");
});

Deno.test("CookbookError message lists every problem on its own line", () => {
  const error = new CookbookError([
    { at: { file: "a.yaml", line: 1, col: 1 }, path: "", message: "one" },
    { at: { file: "a.yaml", line: 2, col: 3 }, path: "x", message: "two" },
  ]);
  assert.equal(error.message, "a.yaml:1:1: one\na.yaml:2:3: x: two");
});
