import assert from "node:assert/strict";
import { REFERENCE_PATH, renderReference, typeName } from "../scripts/reference.ts";
import { FACTS } from "../src/facts/mod.ts";
import { z } from "zod";

Deno.test("docs/cookbook-reference.md is up to date (run deno run -A scripts/reference.ts)", async () => {
  const current = await Deno.readTextFile(REFERENCE_PATH);
  assert.equal(current, await renderReference());
});

Deno.test("the reference lists every section, the seed's fields and every fact", async () => {
  const text = await renderReference();
  for (
    const heading of [
      "## `install.pre_install[]`",
      "## `install.install[]`",
      "## `install.post_install[]`",
      "## `configure.directories[]`",
      "## `configure.files[]`",
      "## `configure.services[]`",
      "## Facts",
    ]
  ) assert.ok(text.includes(heading), `missing ${heading}`);
  assert.match(
    text,
    /\| `mode` +\| string +\| +\| Permissions as an octal string, e\.g\. "0644"\. +\|/,
  );
  assert.match(text, /\| `state` +\| "present" \\\| "absent" +\| `"present"` +\|/);
  assert.match(text, /\| `package` +\| string +\| required +\|/);
  for (const fact of Object.keys(FACTS)) assert.ok(text.includes(`\`facts.${fact}\``), fact);
});

Deno.test("typeName reads zod schemas as a person would write them", () => {
  assert.equal(typeName(z.string().optional()), "string");
  assert.equal(typeName(z.array(z.string())), "list of strings");
  assert.equal(typeName(z.union([z.string(), z.array(z.string())])), "string or list of strings");
  assert.equal(typeName(z.enum(["a", "b"]).default("a")), '"a" \\| "b"');
  assert.equal(typeName(z.record(z.string(), z.string())), "mapping of string to string");
});
