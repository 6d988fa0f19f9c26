/**
 * Loading, stage 3: fills in `{{ name }}` and `{{ facts.x }}` placeholders in
 * the vars, in every other string of the cookbooks, and in the templates
 * items name (`template:`, for kinds whose schema has that field). Reads only
 * the facts used. Gives new data; the parsed cookbooks are left as they were.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { SECTIONS } from "../../resources/mod.ts";
import { formatPath } from "./problems.ts";
import type { Problem } from "../errors.ts";
import { repoFile, type Staged } from "./cookbook.ts";
import { factReader, FACTS, unknownFact } from "../facts/mod.ts";
import { documentSchema, knownKeys } from "./schema.ts";
import { hasPlaceholder, type Lookup, makeLookup, render, TemplateError } from "./template.ts";
import type { Vars } from "./vars.ts";
import { positionOf, valueAt, type YamlSource } from "./yaml_source.ts";

/** A template file an item names, read. */
interface Template {
  source: YamlSource;
  /** The item's YAML path: `["configure", "files", 0]`. */
  item: PropertyKey[];
  file: string;
  text: string;
}

/** A rendered template: its content and the file it came from. */
export interface RenderedTemplate {
  /** The template's text with its placeholders filled in. */
  content: string;
  /** The template file's real path. */
  templatePath: string;
}

/** The cookbooks with every placeholder filled in, and what that used. */
export interface Rendered {
  /** The cookbooks, their strings outside `vars` rendered. */
  sources: YamlSource[];
  /** Rendered templates by {@link templateKey} of the item naming them. */
  templates: Map<string, RenderedTemplate>;
  /** Every template file read. */
  templateFiles: string[];
  /** The facts used, with their values. */
  facts: Record<string, unknown>;
}

/** How {@link Rendered.templates} finds an item's template: `file#configure.files[0]`. */
export function templateKey(source: YamlSource, item: readonly PropertyKey[]): string {
  return `${source.file}#${formatPath(item)}`;
}

/** Renders the cookbooks with `vars` and the facts they use (read through `probe`). */
export async function renderCookbooks(
  sources: YamlSource[],
  vars: Vars,
  probe: Probe,
): Promise<Staged<Rendered>> {
  const problems: Problem[] = [];
  const templates = await readTemplates(sources, probe, problems);
  const names = new Set<string>();
  for (const p of sources) for (const [, text] of strings(p.raw)) factsUsed(text, names);
  for (const t of templates) factsUsed(t.text, names);
  const facts = await readFacts(names, probe);
  const values = { ...vars.values };
  const lookup = makeLookup(values, (name) => {
    if (!(name in FACTS)) throw new Error(unknownFact(name));
    if (facts.errors.has(name)) throw new Error(`fact "facts.${name}": ${facts.errors.get(name)}`);
    return facts.values.get(name);
  });
  // In declared order: a var may use the vars rendered before it.
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== "string" || !hasPlaceholder(value)) continue;
    const origin = vars.origin.get(name)!;
    values[name] = attempt(() => render(value, lookup), problems, origin, ["vars", name]) ?? value;
  }
  const rendered = sources.map((p) => ({ ...p, raw: renderStrings(p, lookup, problems) }));
  return {
    value: {
      sources: rendered,
      templates: renderTemplates(templates, lookup, problems),
      templateFiles: [...new Set(templates.map((t) => t.file))],
      facts: Object.fromEntries(facts.values),
    },
    problems,
  };
}

/** `fill()`, or, when it throws (an unknown name, a fact that cannot be read), a problem. */
function attempt(
  fill: () => string,
  problems: Problem[],
  source: YamlSource,
  path: PropertyKey[],
): string | undefined {
  try {
    return fill();
  } catch (error) {
    problems.push({
      at: positionOf(source, path),
      path: formatPath(path),
      message: (error as Error).message,
    });
    return undefined;
  }
}

/** A copy of a cookbook's data with placeholders filled in, except under `vars`. */
function renderStrings(source: YamlSource, lookup: Lookup, problems: Problem[]): unknown {
  const walk = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === "string") {
      if (path[0] === "vars" || !hasPlaceholder(value)) return value;
      return attempt(() => render(value, lookup), problems, source, path) ?? value;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  return walk(source.raw, []);
}

/** Reads the template of every item of a kind that has `template:`; a missing one is a problem. */
async function readTemplates(
  sources: YamlSource[],
  probe: Probe,
  problems: Problem[],
): Promise<Template[]> {
  const schema = await documentSchema();
  const templates: Template[] = [];
  const sections = SECTIONS.filter((s) => knownKeys(schema, [...s.path, 0]).includes("template"));
  for (const source of sources) {
    for (const section of sections) {
      const items = valueAt(source.raw, section.path);
      if (!Array.isArray(items)) continue;
      items.forEach((spec, i) => {
        if (typeof spec?.template !== "string") return;
        const item = [...section.path, i];
        const found = repoFile(source.file, "template", spec.template);
        const data = "path" in found ? probe.readFile(found.path) : null;
        if ("path" in found && data !== null) {
          templates.push({ source, item, file: found.path, text: new TextDecoder().decode(data) });
          return;
        }
        problems.push({
          at: positionOf(source, [...item, "template"]),
          path: formatPath([...item, "template"]),
          message: "error" in found ? found.error : `template "${spec.template}" cannot be read`,
        });
      });
    }
  }
  return templates;
}

function renderTemplates(
  templates: Template[],
  lookup: Lookup,
  problems: Problem[],
): Map<string, RenderedTemplate> {
  const rendered = new Map<string, RenderedTemplate>();
  for (const t of templates) {
    try {
      rendered.set(templateKey(t.source, t.item), {
        content: render(t.text, lookup),
        templatePath: t.file,
      });
    } catch (error) {
      const offset = error instanceof TemplateError ? error.offset : t.text.indexOf("{{");
      problems.push({
        at: { file: t.file, ...lineCol(t.text, offset) },
        path: formatPath([...t.item, "template"]),
        message: (error as Error).message,
      });
    }
  }
  return rendered;
}

/** The facts named, read at once; a fact that cannot be read keeps its error. */
async function readFacts(names: Set<string>, probe: Probe) {
  const read = factReader(probe);
  const values = new Map<string, unknown>();
  const errors = new Map<string, string>();
  await Promise.all([...names].map(async (name) => {
    try {
      values.set(name, await read(name));
    } catch (error) {
      errors.set(name, (error as Error).message);
    }
  }));
  return { values, errors };
}

/** Every string leaf of a value with its path. */
function* strings(
  value: unknown,
  path: PropertyKey[] = [],
): Generator<[PropertyKey[], string]> {
  if (typeof value === "string") yield [path, value];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* strings(value[i], [...path, i]);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) yield* strings(v, [...path, k]);
  }
}

/** Adds the names of the facts `text` uses (`{{ facts.NAME }}`) to `into`. */
function factsUsed(text: string, into: Set<string>): void {
  for (const m of text.matchAll(/\{\{\s*facts\.([A-Za-z0-9_.]+)\s*\}\}/g)) into.add(m[1]);
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, offset));
  return { line: before.split("\n").length, col: offset - before.lastIndexOf("\n") };
}
