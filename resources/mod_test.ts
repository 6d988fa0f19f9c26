import assert from "node:assert/strict";
import { staticImports } from "../src/_testing.ts";
import { kindOf, KINDS, SECTIONS } from "./mod.ts";

Deno.test("every registry section's schema is a strict object with requires", async () => {
  for (const section of SECTIONS) {
    const { schema } = await section.schema();
    const def = (schema as unknown as { _zod: { def: { type: string; shape: object } } })._zod.def;
    assert.equal(def.type, "object", section.path.join("."));
    assert.ok("requires" in def.shape, `${section.path.join(".")} has no requires`);
    assert.equal(schema.safeParse({ not_a_field: 1 }).success, false, "unknown fields refused");
  }
});

Deno.test("KINDS holds each kind once under its name, and kindOf refuses an unknown name", () => {
  assert.deepEqual(Object.keys(KINDS), [
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
  for (const [name, kind] of Object.entries(KINDS)) assert.equal(kind.name, name);
  assert.throws(() => kindOf("crontab"), /unknown resource kind "crontab"/);
});

Deno.test("the registry and the kinds import no zod: schemas load only when a cookbook is validated", async () => {
  const statics = await staticImports(new URL("./mod.ts", import.meta.url).pathname);
  const heavy = [...statics].filter((s) => /zod|_schema\.ts$/.test(s));
  assert.deepEqual(heavy, []);
  assert.ok([...statics].some((s) => s.endsWith("/resources/file.ts")), "the graph was read");
});

Deno.test("converge imports no zod and no YAML parser: a catalog hit with health checks stays light", async () => {
  const statics = [
    ...await staticImports(new URL("../src/app/converge.ts", import.meta.url).pathname),
  ];
  assert.deepEqual(statics.filter((s) => /zod|yaml|_schema\.ts$/.test(s)), []);
  assert.ok(statics.some((s) => s.endsWith("/src/monitor/health.ts")), "the graph was read");
});
