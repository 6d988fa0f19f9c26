import assert from "node:assert/strict";
import type { Instance } from "./parse.ts";
import type { YamlSource } from "./yaml_source.ts";
import { scopes } from "./vars.ts";

Deno.test("a long vars: list is filled, each var seeing those before it and the node's", () => {
  // Its speed (linear, not a copy of the scope per var) is a figure of `deno task bench scaling`.
  const vars = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`v${i}`, `${i}`]));
  const instance = { source: { raw: { vars } } as YamlSource } as Instance;
  const seen: Record<string, boolean[]> = {};
  const scope = scopes([instance], (text, visible) => {
    if (/^(0|1|19999)$/.test(text)) {
      seen[text] = ["node", "v0", "v1", "v19998"].map((n) => n in visible);
    }
    return text;
  }, { node: "n" }).get(instance)!;
  assert.equal(Object.keys(scope).length, 20_001);
  assert.deepEqual(seen, {
    0: [true, false, false, false],
    1: [true, true, false, false],
    19999: [true, true, true, true],
  });
});
