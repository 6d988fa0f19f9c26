/**
 * The cookbook document schema: the seed design's format plus extensions,
 * built from the registry (`resources/mod.ts`): one list per section, in
 * groups (`install`, `configure`), each item validated by its kind's schema.
 *
 * @module
 */
import { z } from "zod";
import { GROUPS, type Section, SECTIONS } from "../../resources/mod.ts";
import { healthSchema } from "./health_schema.ts";

/** The section groups in run order, with their sections: `install` → pre_install, ... */
function groups(): Map<string, Section[]> {
  const found = new Map<string, Section[]>();
  for (const section of SECTIONS) {
    const [group] = section.path;
    found.set(group, [...found.get(group) ?? [], section]);
  }
  return found;
}

/** What a cookbook document is, for "expected ..., got" messages: `a mapping (name, install, ...)`. */
export const DOCUMENT = `a mapping (name, ${[...groups().keys()].join(", ")}, ...)`;

/** "package" → "packages", "directory" → "directories". */
function plural(name: string): string {
  return name.endsWith("y") ? `${name.slice(0, -1)}ies` : `${name}s`;
}

async function groupSchema(group: string, sections: Section[]) {
  const names = sections.map((s) => s.path[1]);
  const shape: Record<string, z.ZodType> = {};
  for (const section of sections) {
    const { schema } = await section.schema();
    shape[section.path[1]] = z.array(schema, {
      error: `expected a list of ${plural(section.kind)}`,
    }).optional().describe(section.about);
  }
  return z.strictObject(shape, { error: `expected a mapping with ${names.join(", ")}` })
    .optional()
    .describe(`${GROUPS[group] ?? group}, in the order ${names.join(", ")}.`);
}

function varsSchema() {
  return z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: "expected a variable name like app_port (letters, digits, _)",
    }),
    z.unknown(),
  );
}

async function buildSchema() {
  const shape: Record<string, z.ZodType> = {
    name: z.string().optional().describe("Name of the configuration."),
    version: z.union([z.string(), z.number()]).optional().describe("Version of the cookbook."),
    description: z.string().optional().describe("What the cookbook sets up."),
    vars: varsSchema().optional().describe(
      "Variables for templates (`{{ name }}`); in an included cookbook, defaults its includer may override.",
    ),
    include: z.array(
      z.union([
        z.string(),
        z.strictObject({
          cookbook: z.string().describe("The cookbook's path, relative to this one."),
          vars: varsSchema().optional().describe("Vars for this use of it, over its defaults."),
        }),
      ], { error: "expected a cookbook path, or a mapping with cookbook and vars" }),
      { error: "expected a list of cookbook paths" },
    ).optional()
      .describe(
        "Other cookbooks (relative paths, or `{cookbook, vars}`) whose resources come first.",
      ),
  };
  for (const [group, sections] of groups()) shape[group] = await groupSchema(group, sections);
  shape.health = healthSchema.optional();
  shape.rollback = z.enum(["auto", "off"]).optional()
    .describe("Restore the snapshot when health fails after a change (default: auto with checks).");
  return z.strictObject(shape, { error: `expected ${DOCUMENT}` });
}

let built: Promise<z.ZodObject> | undefined;

/** The schema of a whole cookbook file (built once, importing every kind's schema). */
export function documentSchema(): Promise<z.ZodObject> {
  return built ??= buildSchema();
}

/** The field names an object schema accepts at `path` inside `schema`, for "did you mean". */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at: unknown = schema;
  for (const part of [...path, null]) {
    // deno-lint-ignore no-explicit-any
    let def = (at as any)?._zod?.def;
    while (def && (def.type === "optional" || def.type === "default" || def.type === "pipe")) {
      def = (def.innerType ?? def.in)?._zod?.def;
    }
    if (part === null) return def?.type === "object" ? Object.keys(def.shape) : [];
    if (def?.type === "object" && typeof part === "string") at = def.shape[part];
    else if (def?.type === "array" && typeof part === "number") at = def.element;
    else return [];
  }
  return [];
}
