import assert from "node:assert/strict";
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
  assert.deepEqual(Object.keys(KINDS), ["command", "package", "directory", "file", "service"]);
  for (const [name, kind] of Object.entries(KINDS)) assert.equal(kind.name, name);
  assert.throws(() => kindOf("cron"), /unknown resource kind "cron"/);
});

/** The modules `root` imports statically (directly or not), by specifier. */
async function staticImports(root: string): Promise<string[]> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(root, import.meta.url).pathname],
    stdout: "piped",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(stdout));
  const statics = new Set<string>();
  const visit = (specifier: string) => {
    if (statics.has(specifier)) return;
    statics.add(specifier);
    const module = graph.modules.find((m: { specifier: string }) => m.specifier === specifier);
    for (const dep of module?.dependencies ?? []) {
      if (!dep.isDynamic && dep.code?.specifier) visit(dep.code.specifier);
    }
  };
  visit(graph.roots[0]);
  return [...statics];
}

Deno.test("the registry and the kinds import no zod: schemas load only when a cookbook is validated", async () => {
  const statics = await staticImports("./mod.ts");
  assert.deepEqual(statics.filter((s) => /zod|_schema\.ts$/.test(s)), []);
  assert.ok(statics.some((s) => s.endsWith("/resources/file.ts")), "the graph was read");
});

Deno.test("converge imports no zod and no YAML parser: a catalog hit with health checks stays light", async () => {
  const statics = await staticImports("../src/app/converge.ts");
  assert.deepEqual(statics.filter((s) => /zod|yaml|_schema\.ts$/.test(s)), []);
  assert.ok(statics.some((s) => s.endsWith("/src/monitor/health.ts")), "the graph was read");
});
