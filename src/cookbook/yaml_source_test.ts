import assert from "node:assert/strict";
import { parseYaml } from "./yaml_source.ts";

Deno.test("YAML nested deeper than the stack is one problem, however deep the stack left", () => {
  for (const depth of [20_000, 40_000]) {
    const problems = parseYaml(
      "t.yaml",
      `name: ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
      "a cookbook",
    );
    assert.ok(Array.isArray(problems));
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /^invalid YAML: maximum call stack size exceeded/);
  }
});
