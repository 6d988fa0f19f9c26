import assert from "node:assert/strict";
import { header, shellWord, withoutEagerHelpers } from "./self_extracting.ts";

Deno.test("the entry loses its bare import of a helpers-only chunk and keeps every other import", () => {
  const chunks: Record<string, string> = {
    "chunk-HELP.js":
      `import { createRequire as __deno_internal_createRequire } from "node:module";\nexport {\n  __require,\n  __toESM\n};\n`,
    "chunk-CODE.js": `export {\n  versionLine\n};\n`,
  };
  const entry =
    `import { versionLine } from "./chunk-CODE.js";\nimport "./chunk-HELP.js";\nimport "./chunk-CODE.js";\nmain();\n`;
  assert.equal(
    withoutEagerHelpers(entry, (name) => chunks[name]),
    `import { versionLine } from "./chunk-CODE.js";\nimport "./chunk-CODE.js";\nmain();\n`,
  );
});

Deno.test("the header states its own length in bytes and quotes the flags for sh", () => {
  const text = header("x=@HEADER_BYTES@ h=@PAYLOAD_SHA256@ @FLAGS@\n", "ab".repeat(32));
  const bytes = Number(/x=(\d+)/.exec(text)?.[1]);
  assert.equal(bytes, new TextEncoder().encode(text).length);
  assert.equal(shellWord("--allow-env=A,B"), "--allow-env=A,B");
  assert.equal(shellWord("it's"), `'it'\\''s'`);
});
