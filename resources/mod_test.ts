import assert from "node:assert/strict";
import { staticImports } from "../src/_testing.ts";
import { KIND_NAMES, kindOf, loadKinds, SECTIONS } from "./mod.ts";

Deno.test("every registry section's schema is a strict object with requires", async () => {
  for (const section of SECTIONS) {
    const { schema } = await section.schema();
    const def = (schema as unknown as { _zod: { def: { type: string; shape: object } } })._zod.def;
    assert.equal(def.type, "object", section.path.join("."));
    assert.ok("requires" in def.shape, `${section.path.join(".")} has no requires`);
    assert.equal(schema.safeParse({ not_a_field: 1 }).success, false, "unknown fields refused");
  }
});

Deno.test("each kind loads on demand under its name; kindOf refuses an unknown or unloaded name", async () => {
  assert.deepEqual(KIND_NAMES, [
    "command",
    "apt_repository",
    "package",
    "group",
    "user",
    "directory",
    "git",
    "file",
    "link",
    "cron",
    "service",
  ]);
  assert.throws(() => kindOf("crontab"), /unknown resource kind "crontab"/);
  await assert.rejects(loadKinds(["file", "crontab"]), /unknown resource kind "crontab"/);
  await loadKinds(["file"]);
  assert.equal(kindOf("file").name, "file");
  await loadKinds();
  for (const name of KIND_NAMES) assert.equal(kindOf(name).name, name);
});

Deno.test("the registry imports no kind, and the kinds no zod: a run loads only what it uses", async () => {
  const registry = [...await staticImports(new URL("./mod.ts", import.meta.url).pathname)];
  assert.deepEqual(
    registry.filter((s) => /resources\/(?!resource\.ts|mod\.ts)[a-z_]+\.ts$/.test(s)),
    [],
  );
  for (const name of ["file", "apt_package", "service", "user", "git"]) {
    const statics = await staticImports(new URL(`./${name}.ts`, import.meta.url).pathname);
    assert.deepEqual([...statics].filter((s) => /zod|_schema\.ts$/.test(s)), [], name);
    assert.ok(statics.size > 1, `the graph of ${name}.ts was read`);
  }
});

Deno.test("converge imports no zod and no YAML parser: a catalog hit stays light", async () => {
  const statics = [
    ...await staticImports(new URL("../src/app/converge.ts", import.meta.url).pathname),
  ];
  assert.deepEqual(statics.filter((s) => /zod|yaml|_schema\.ts$/.test(s)), []);
  assert.ok(statics.some((s) => s.endsWith("/src/engine/run.ts")), "the graph was read");
});
