import assert from "node:assert/strict";
import { ConfigError, CookbookError, errorMessage, formatProblem } from "./errors.ts";

Deno.test("formatProblem prints file:line:col: path: message", () => {
  const text = formatProblem({
    at: { file: "web.yaml", line: 12, col: 5 },
    path: "a.b",
    message: "bad",
  });
  assert.equal(text, "web.yaml:12:5: a.b: bad");
});

Deno.test("CookbookError message lists every problem on its own line", () => {
  const error = new CookbookError([
    { at: { file: "a.yaml", line: 1, col: 1 }, path: "", message: "one" },
    { at: { file: "a.yaml", line: 2, col: 3 }, path: "x", message: "two" },
  ]);
  assert.equal(error.message, "a.yaml:1:1: one\na.yaml:2:3: x: two");
  assert.equal(error.subject, "the cookbooks");
});

Deno.test("ConfigError names the node configuration, not the cookbooks", () => {
  const error = new ConfigError([{
    at: { file: "c.yaml", line: 2, col: 1 },
    path: "",
    message: "x",
  }]);
  assert.equal(error.subject, "the node configuration");
  assert.ok(!(error instanceof CookbookError));
});

Deno.test("errorMessage takes an Error's message and the text of anything else", () => {
  assert.equal(errorMessage(new Error("boom")), "boom");
  assert.equal(errorMessage("plain"), "plain");
});
