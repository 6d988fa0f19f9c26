/**
 * Generates docs/cookbook-reference.md from the registry (resources/mod.ts):
 * the document schema built from it, its kinds' zod schemas (their
 * `.describe()` texts), and the list of facts.
 *
 *     deno run -A scripts/reference.ts          # rewrite the file
 *     deno run -A scripts/reference.ts --check  # exit 1 when it is out of date
 *
 * @module
 */
import { documentSchema } from "../src/cookbook/schema.ts";
import { FACTS } from "../src/facts/mod.ts";
import { SECTIONS } from "../resources/mod.ts";
import { duration } from "../resources/duration.ts";

/** Where the reference lives. */
export const REFERENCE_PATH = new URL("../docs/cookbook-reference.md", import.meta.url).pathname;

// deno-lint-ignore no-explicit-any
type Schema = any;

const def = (schema: Schema) => schema?._zod?.def;

const TOP = "Top level";

/** Strips optional/default/pipe wrappers; keeps the first description and default met. */
function unwrap(schema: Schema): {
  inner: Schema;
  optional: boolean;
  description?: string;
  default?: unknown;
  hasDefault: boolean;
} {
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  let description: string | undefined = schema?.description;
  let inner = schema;
  for (;;) {
    const d = def(inner);
    if (d?.type === "optional") optional = true;
    else if (d?.type === "default") {
      hasDefault = true;
      defaultValue = d.defaultValue;
    } else if (d?.type !== "pipe") break;
    inner = d.innerType ?? d.in;
    description ??= inner?.description;
  }
  return { inner, optional, description, default: defaultValue, hasDefault };
}

/** A readable type name: `string`, `list of strings`, `"present" \| "absent"`. */
export function typeName(schema: Schema, plural = false): string {
  const { inner } = unwrap(schema);
  if (inner === duration) return `duration${plural ? "s" : ""}`;
  const d = def(inner);
  const s = plural ? "s" : "";
  switch (d?.type) {
    case "string":
      return `string${s}`;
    case "number":
      return `number${s}`;
    case "boolean":
      return `boolean${s}`;
    case "enum":
      return Object.values(d.entries).map((v) => JSON.stringify(v)).join(" \\| ");
    case "array":
      return `list of ${typeName(d.element, true)}`;
    case "union":
      return [...new Set(d.options.map((o: Schema) => typeName(o, plural)))].join(" or ");
    case "record":
      return `mapping of ${typeName(d.keyType)} to ${typeName(d.valueType)}`;
    case "object":
      return plural ? "mappings (below)" : "mapping (below)";
    case "unknown":
    case "any":
      return "any value";
    default:
      return d?.type ?? "?";
  }
}

function cell(text: string): string {
  return text.replaceAll("\n", " ").replace(/(?<!\\)\|/g, "\\|");
}

/** One table row per field of an object schema. */
function fieldTable(shape: Record<string, Schema>): string[] {
  const rows = ["| Field | Type | Default | Description |", "| --- | --- | --- | --- |"];
  for (const [name, field] of Object.entries(shape)) {
    const info = unwrap(field);
    const fallback = info.hasDefault
      ? `\`${JSON.stringify(info.default)}\``
      : info.optional
      ? ""
      : "required";
    rows.push(
      `| \`${name}\` | ${cell(typeName(field))} | ${fallback} | ${cell(info.description ?? "")} |`,
    );
  }
  return rows;
}

/** Formats Markdown with `deno fmt` and the repository's settings, as `deno fmt --check` wants it. */
async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) throw new Error(`deno fmt failed: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout);
}

/** The whole reference as formatted Markdown. */
export async function renderReference(): Promise<string> {
  return await formatMarkdown(referenceMarkdown(await documentSchema()));
}

/** For a section's items: which kind they are and how their ids read. */
function kindLine(path: string): string | undefined {
  const section = SECTIONS.find((s) => `${s.path.join(".")}[]` === path);
  if (!section) return undefined;
  const name = section.kind;
  return `Each item is a \`${name}\` resource, named \`${name}[...]\` in messages and \`requires\`.`;
}

/** The options of a union of objects (one per kind of item), else undefined. */
function variants(schema: Schema): Schema[] | undefined {
  const d = def(unwrap(schema).inner);
  if (d?.type !== "union") return undefined;
  return d.options.every((o: Schema) => def(o)?.type === "object") ? d.options : undefined;
}

/** The whole reference as Markdown, before formatting. */
function referenceMarkdown(document: Schema): string {
  const out: string[] = [
    "# Cookbook reference",
    "",
    "<!-- Generated by `deno run -A scripts/reference.ts` from the registry in resources/mod.ts",
    "(sections and their kinds' schemas, resources/*_schema.ts) and the facts in src/cookbook/facts.ts.",
    "Do not edit by hand; tests/reference_test.ts fails when this file is out of date. -->",
    "",
    "A cookbook is a YAML mapping. Unknown fields are errors. `cm validate COOKBOOK...`",
    'reports every problem as `file:line:col: yaml.path: expected ..., got ...`. "Default" is the',
    'value used when the field is left out; "required" fields must be given. A duration is',
    'seconds as a number (`30`, `1.5`) or a string as the flags take it (`"30s"`, `"5m"`, `"1h"`).',
    "",
  ];
  const emitted = new Map<Schema, string>();
  const section = (path: string, schema: Schema, description?: string) => {
    out.push(path === TOP ? `## ${TOP}` : `## \`${path}\``, "");
    if (description) out.push(description, "");
    const kind = kindLine(path);
    if (kind) out.push(kind, "");
    const shape = def(schema).shape;
    const seen = emitted.get(schema);
    if (seen) {
      out.push(`Each item has the same fields as [\`${seen}\`](#${anchor(seen)}).`, "");
      return;
    }
    emitted.set(schema, path);
    out.push(...fieldTable(shape), "");
    for (const [name, field] of Object.entries(shape)) {
      const info = unwrap(field);
      const d = def(info.inner);
      const child = path === TOP ? name : `${path}.${name}`;
      if (d?.type === "object") section(child, info.inner, info.description);
      else if (d?.type === "array" && def(unwrap(d.element).inner)?.type === "object") {
        section(`${child}[]`, unwrap(d.element).inner, info.description);
      } else if (d?.type === "array" && variants(d.element)) {
        // One table per variant (health checks), named by the field that tells them apart.
        for (const option of variants(d.element)!) {
          section(`${child}[] with ${Object.keys(def(option).shape)[0]}`, option);
        }
      }
    }
  };
  section(TOP, unwrap(document).inner);
  out.push(
    "## Facts",
    "",
    "Written `{{ facts.NAME }}` in any string and in template files; computed only when used.",
    "Variables from `vars:` are written `{{ name }}`; literal braces go inside",
    "`{% raw %}…{% endraw %}`.",
    "",
    "| Fact | Meaning |",
    "| --- | --- |",
    ...Object.entries(FACTS).map(([name, meaning]) => `| \`facts.${name}\` | ${cell(meaning)} |`),
    "",
  );
  return out.join("\n");
}

/** GitHub's heading anchor for a heading text. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replaceAll(" ", "-");
}

if (import.meta.main) {
  const text = await renderReference();
  if (Deno.args.includes("--check")) {
    const current = await Deno.readTextFile(REFERENCE_PATH).catch(() => "");
    if (current !== text) {
      console.error(`${REFERENCE_PATH} is out of date: run deno run -A scripts/reference.ts`);
      Deno.exit(1);
    }
  } else {
    await Deno.mkdir(new URL("../docs", import.meta.url), { recursive: true });
    await Deno.writeTextFile(REFERENCE_PATH, text);
    console.log(`wrote ${REFERENCE_PATH}`);
  }
}
