import assert from "node:assert/strict";
import { header, shellWord, staticNodeImports, withLazyRequire } from "./self_extracting.ts";

const HELPERS = `var __defProp = Object.defineProperty;
import { createRequire as __deno_internal_createRequire } from "node:module";
var __require = __deno_internal_createRequire(import.meta.url);
export { __require, __defProp };
`;

Deno.test("the bundle's __require gets node:module when first called, not when its chunk loads", async () => {
  const lazy = withLazyRequire(HELPERS);
  assert.deepEqual(staticNodeImports(HELPERS), ["node:module"]);
  assert.deepEqual(staticNodeImports(lazy), []);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/helpers.js`, lazy);
    const { __require } = await import(`file://${dir}/helpers.js`);
    assert.equal(typeof __require("node:path").join, "function");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("static node: imports are found in every import form, dynamic ones are not", () => {
  const chunk =
    `import "node:fs";\nimport { a } from "node:os";\nimport * as p from 'node:path';\n` +
    `const c = await import("node:crypto");\nexport { a };\n`;
  assert.deepEqual(staticNodeImports(chunk), ["node:fs", "node:os", "node:path"]);
});

Deno.test("the header states its own length in bytes and quotes the flags for sh", () => {
  const text = header("x=@HEADER_BYTES@ h=@PAYLOAD_SHA256@ @FLAGS@\n", "ab".repeat(32));
  const bytes = Number(/x=(\d+)/.exec(text)?.[1]);
  assert.equal(bytes, new TextEncoder().encode(text).length);
  assert.equal(shellWord("--allow-env=A,B"), "--allow-env=A,B");
  assert.equal(shellWord("it's"), `'it'\\''s'`);
});

Deno.test("a user without HOME or CM_RUNTIME_DIR is told so in cm's words (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const template = await Deno.readTextFile(
      new URL("./self_extracting_header.sh", import.meta.url),
    );
    await Deno.writeTextFile(`${dir}/cm`, header(template, "ab".repeat(32)));
    // Not root: an `id` that says uid 1000, and no system cache of this (made-up) hash.
    await Deno.writeTextFile(`${dir}/id`, "#!/bin/sh\necho 1000\n", { mode: 0o755 });
    const out = await new Deno.Command("sh", {
      args: [`${dir}/cm`, "--version"],
      clearEnv: true,
      env: { PATH: `${dir}:/usr/bin:/bin` },
    }).output();
    assert.equal(out.code, 2);
    assert.equal(
      new TextDecoder().decode(out.stderr),
      "cm: cannot choose a runtime cache: neither HOME nor CM_RUNTIME_DIR is set\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the runtime runs without core dumps: one would hold the node's secrets", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const template = await Deno.readTextFile(
      new URL("./self_extracting_header.sh", import.meta.url),
    );
    const hash = "ab".repeat(32);
    await Deno.writeTextFile(`${dir}/cm`, header(template, hash));
    // An unpacked runtime whose deno says what core size limit it was started with.
    await Deno.mkdir(`${dir}/runtime/${hash}`, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(`${dir}/runtime/${hash}/deno`, "#!/bin/sh\nulimit -c\n", {
      mode: 0o755,
    });
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        'ulimit -S -c "$(ulimit -H -c)"; ulimit -c; exec sh "$0" --version',
        `${dir}/cm`,
      ],
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin", CM_RUNTIME_DIR: `${dir}/runtime` },
    }).output();
    const [before, after] = new TextDecoder().decode(out.stdout).trim().split("\n");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(after, "0", `core size limit was ${before} before cm`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
