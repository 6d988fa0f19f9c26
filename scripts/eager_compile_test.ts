import assert from "node:assert/strict";
import { eagerFunctions } from "./eager_compile.ts";

const CHUNK = `import {
  helper
} from "./chunk-A.js";

// ../../root/.cache/deno/npm/registry.npmjs.org/lib/1.0.0/index.js
function library() {
  return "lazy";
}

// src/cli/output.ts
var early = twice(21);
function twice(n) {
  return helper(n) * 2;
}
async function later() {
  return await Promise.resolve(twice(1));
}
function* steps() {
  yield "}";
}
var text = \`
}
\`;
export {
  early,
  later,
  library,
  steps,
  text
};
`;

Deno.test("cm's own functions become parenthesised expressions defined before any code runs", () => {
  const out = eagerFunctions(CHUNK);
  assert.match(out, /^\} from "\.\/chunk-A\.js";\nvar twice = \(function twice\(n\) \{$/m);
  assert.match(out, /^var later = \(async function later\(\) \{$/m);
  assert.match(out, /^var steps = \(function\* steps\(\) \{$/m);
  assert.match(out, /^function library\(\) \{$/m, "npm code stays as it was");
  assert.doesNotMatch(out, /^function (twice|later|steps)\b/m);
  assert.ok(out.indexOf("var twice = (") < out.indexOf("var early = twice(21);"));
});

Deno.test("the chunk behaves as before: hoisting, async, generators, exports", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-eager-" });
  try {
    await Deno.writeTextFile(`${dir}/chunk-A.js`, "export function helper(n) { return n; }\n");
    await Deno.writeTextFile(`${dir}/out.js`, eagerFunctions(CHUNK));
    const mod = await import(`file://${dir}/out.js`);
    assert.equal(mod.early, 42);
    assert.equal(await mod.later(), 2);
    assert.deepEqual([...mod.steps()], ["}"]);
    assert.equal(mod.library(), "lazy");
    assert.equal(mod.text, "\n}\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a chunk without cm's own functions is left as it was; one that does not parse is refused", () => {
  const npmOnly = "// ../x/node_modules/y/index.js\nfunction y() {}\nexport { y };\n";
  assert.equal(eagerFunctions(npmOnly), npmOnly);
  assert.throws(() => eagerFunctions("// src/a.ts\nfunction (\n"), SyntaxError);
});
