/**
 * Loading, stage 3: fills in the templates of every use of a cookbook (its
 * strings, the template files its items name, its `when:` conditions) with
 * the vars it sees and the facts. Reads only the facts used; imports the
 * template engine only when some text has markup. Gives new data; the parsed
 * cookbooks are left as they were.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { SECTIONS } from "../../resources/mod.ts";
import { describeValue, formatPath } from "./problems.ts";
import type { Position, Problem } from "../errors.ts";
import { didYouMean } from "../text.ts";
import { repoFile, type Staged } from "./cookbook.ts";
import { decodeUtf8, MAX_COOKBOOK_BYTES, readInputVia } from "../exec/input.ts";
import { factReader, FACTS, unknownFact } from "../facts/mod.ts";
import type { Instance, Parsed } from "./parse.ts";
import { documentSchema, knownKeys } from "./schema.ts";
import {
  conditionTemplate,
  type Engine,
  hasMarkup,
  loadEngine,
  TemplateError,
  type Use,
} from "./template.ts";
import { fillDeep, type Scope, scopes } from "./vars.ts";
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

/** What rendering adds to one item besides its fields. */
export interface ItemExtras {
  template?: RenderedTemplate;
  /** Why the item is skipped: its `when:` was false. */
  skip?: string;
}

/** The cookbooks with every template filled in, and what that used. */
export interface Rendered {
  /** One per use of a cookbook, its strings outside `vars` and `include` rendered, `when` removed. */
  sources: YamlSource[];
  /** By rendered source, then by item path (`configure.files[0]`). */
  extras: Map<YamlSource, Map<string, ItemExtras>>;
  /** By rendered source, the cookbook asked for that it is (or that includes it): an absolute path. */
  roots: Map<YamlSource, string>;
  /** Every template file read. */
  templateFiles: string[];
  /** The facts used, with their values. */
  facts: Record<string, unknown>;
}

/** How to render. */
export interface RenderOptions {
  /** Facts to use instead of reading this machine's (dotted names, as {@link FACTS}). */
  facts?: Record<string, unknown>;
  /** The node's own vars (its vars file), as written: they override every cookbook's. */
  nodeVars?: Record<string, unknown>;
}

/** Renders every instance of `parsed` with the vars it sees and the facts it uses. */
export async function renderCookbooks(
  parsed: Parsed,
  probe: Probe,
  options: RenderOptions = {},
): Promise<Staged<Rendered>> {
  const problems: Problem[] = [];
  const templates = await readTemplates(parsed.sources, probe, problems);
  const texts = [
    ...parsed.sources.flatMap((p) =>
      [...strings(p.raw)].map(([path, text]) => isWhen(path) ? conditionTemplate(text) : text)
    ),
    ...templates.map((t) => t.text),
  ].filter(hasMarkup);
  const engine = texts.length ? await loadEngine() : undefined;
  const names = new Set(texts.flatMap((text) => factsUsed(engine!, text)));
  const facts = options.facts ? givenFacts(options.facts, names) : await readFacts(names, probe);
  const fill = filler(engine, facts, problems);
  const scopeOf = scopes(parsed.instances, fill, options.nodeVars);
  const sources: YamlSource[] = [];
  const extras = new Map<YamlSource, Map<string, ItemExtras>>();
  const roots = new Map<YamlSource, string>();
  for (const instance of parsed.instances) {
    const scope = scopeOf.get(instance)!;
    const source = renderInstance(instance, scope, fill);
    sources.push(source);
    extras.set(source, itemExtras(instance, source, scope, templates, fill));
    let root = instance;
    while (root.parent) root = root.parent;
    roots.set(source, root.source.file);
  }
  return {
    value: {
      sources,
      extras,
      roots,
      templateFiles: [...new Set(templates.map((t) => t.file))],
      facts: Object.fromEntries(facts.values),
    },
    problems,
  };
}

/** One instance's data, its strings filled in except under `vars` and `include`. */
function renderInstance(instance: Instance, scope: Scope, fill: Filler): YamlSource {
  const { source } = instance;
  const raw = source.raw;
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return source;
  const rendered: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    rendered[key] = key === "vars" || key === "include"
      ? value
      : fillDeep(value, scope, source, [key], fill);
  }
  return { ...source, raw: rendered };
}

/** The `when:` and template of each item of one instance; `when` is taken out of its data. */
function itemExtras(
  instance: Instance,
  rendered: YamlSource,
  scope: Scope,
  templates: Template[],
  fill: Filler,
): Map<string, ItemExtras> {
  const found = new Map<string, ItemExtras>();
  const extra = (path: PropertyKey[]) => {
    const key = formatPath(path);
    if (!found.has(key)) found.set(key, {});
    return found.get(key)!;
  };
  for (const section of SECTIONS) {
    const items = valueAt(rendered.raw, section.path);
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      if (!item || typeof item !== "object" || !("when" in item)) return;
      const path = [...section.path, i];
      const { when: _, ...rest } = item;
      items[i] = rest;
      const written = valueAt(instance.source.raw, [...path, "when"]);
      const holds = condition(written, scope, instance.source, [...path, "when"], fill);
      if (holds === false) extra(path).skip = `when: ${String(written)} is false`;
    });
  }
  for (const t of templates) {
    if (t.source !== instance.source) continue;
    const content = fill(t.text, scope, t.source, [...t.item, "template"], t.file);
    if (content !== undefined) extra(t.item).template = { content, templatePath: t.file };
  }
  return found;
}

/** A `when:` value: true, false, or undefined when it cannot be decided (a problem is recorded). */
function condition(
  written: unknown,
  scope: Scope,
  source: YamlSource,
  path: PropertyKey[],
  fill: Filler,
): boolean | undefined {
  if (typeof written === "boolean") return written;
  if (typeof written !== "string" || !written.trim()) {
    fill.problems.push({
      at: positionOf(source, path),
      path: formatPath(path),
      message: `expected a condition like 'facts.os.id == "debian"', or true or false, got ${
        describeValue(written)
      }`,
    });
    return undefined;
  }
  const result = fill(conditionTemplate(written), scope, source, path);
  return result === undefined ? undefined : result === "true";
}

/** The facts, read or given, and why those that could not be read could not. */
interface Facts {
  values: Map<string, unknown>;
  errors: Map<string, string>;
}

/** A {@link Fill} that also takes the template file a text comes from, and keeps the problems. */
type Filler =
  & ((
    text: string,
    scope: Scope,
    source: YamlSource,
    path: PropertyKey[],
    file?: string,
  ) => string | undefined)
  & { problems: Problem[] };

/** The one function that fills in a text, recording its problems. */
function filler(engine: Engine | undefined, facts: Facts, problems: Problem[]): Filler {
  const tree = factTree(facts.values);
  const fill = (
    text: string,
    scope: Scope,
    source: YamlSource,
    path: PropertyKey[],
    file?: string,
  ): string | undefined => {
    if (!hasMarkup(text)) return text;
    const report = (line: number, col: number, message: string) => {
      problems.push(place(text, source, path, file, line, col, message));
      return undefined;
    };
    const escape = /\\\{[{%]/.exec(text);
    if (escape) {
      const { line, col } = lineCol(text, escape.index);
      return report(
        line,
        col,
        `"\\${text.slice(escape.index + 1, escape.index + 3)}" does not escape braces: write ` +
          "{% raw %}{{ ... }}{% endraw %} for literal braces",
      );
    }
    try {
      const wrong = engine!.uses(text).map((use) => [use, useProblem(use, scope, facts)] as const)
        .filter(([, message]) => message);
      for (const [use, message] of wrong) report(use.line, use.col, message!);
      if (wrong.length) return undefined;
      return engine!.render(text, { ...scope, facts: tree });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return report(error.line, error.col, error.message);
    }
  };
  return Object.assign(fill, { problems });
}

/** Where a template problem is: the template file's line and column, else the YAML value's. */
function place(
  text: string,
  source: YamlSource,
  path: PropertyKey[],
  file: string | undefined,
  line: number,
  col: number,
  message: string,
): Problem {
  if (file) return { at: { file, line, col }, path: formatPath(path), message };
  const at: Position = positionOf(source, path);
  const where = text.trimEnd().includes("\n") ? ` (line ${line} of the text)` : "";
  return { at, path: formatPath(path), message: `${message}${where}` };
}

/** What is wrong with one name a template reads, or undefined. */
function useProblem(use: Use, scope: Scope, facts: Facts): string | undefined {
  const [head, ...rest] = use.path;
  if (head === "facts") return factProblem(rest, facts, use);
  if (!(head in scope)) {
    if (use.optional) return undefined;
    const known = Object.keys(scope);
    const guess = didYouMean(head, known);
    return `unknown variable "${head}"${guess ? `; did you mean "${guess}"?` : ""}${
      known.length ? ` (vars: ${known.join(", ")})` : " (no vars defined)"
    }`;
  }
  let value = scope[head];
  for (const key of rest) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    if (!(key in value)) {
      return use.optional ? undefined : `unknown variable "${use.path.join(".")}"`;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return use.printed ? notSingle(use.path.join("."), value) : undefined;
}

/** What is wrong with `facts.<path>`, or undefined. */
function factProblem(path: string[], facts: Facts, use: Use): string | undefined {
  const name = factName(path);
  if (name === undefined) return use.optional ? undefined : unknownFact(path.join("."));
  const error = name ? facts.errors.get(name) : undefined;
  if (error) return `fact "facts.${name}": ${error}`;
  if (use.printed && name === "") {
    return `expected "{{ ${["facts", ...path].join(".")} }}" to be a single value, got a group ` +
      `of facts (write one: ${Object.keys(FACTS).join(", ")})`;
  }
  return undefined;
}

/** `expected "{{ x }}" to be a single value, ...` when `value` is a list or mapping. */
function notSingle(name: string, value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const list = Array.isArray(value);
  return `expected "{{ ${name} }}" to be a single value, got ${list ? "a list" : "a mapping"} ` +
    `(loop over it with {% for ${list ? "item" : "key, value"} in ${name} %}` +
    (list ? `, or write "{{ ${name} | join(' ') }}")` : ")");
}

/**
 * The fact `facts.<path>` reads: the longest dotted prefix that is a fact;
 * "" for a group of facts (`facts.os`); undefined when it names none.
 */
function factName(path: string[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const name = path.slice(0, n).join(".");
    if (name in FACTS) return name;
  }
  const prefix = path.join(".");
  return Object.keys(FACTS).some((f) => !prefix || f.startsWith(`${prefix}.`)) ? "" : undefined;
}

/** The facts `text` reads (a group, `facts.os`, reads all in it); none when it does not parse. */
function factsUsed(engine: Engine, text: string): string[] {
  let uses: Use[];
  try {
    uses = engine.uses(text);
  } catch {
    return [];
  }
  return uses.filter((u) => u.path[0] === "facts").flatMap((u) => {
    const name = factName(u.path.slice(1));
    if (name === undefined) return [];
    const prefix = u.path.slice(1).join(".");
    return name ? [name] : Object.keys(FACTS).filter((f) => !prefix || f.startsWith(`${prefix}.`));
  });
}

/** `{"os.id": "debian"}` as `{os: {id: "debian"}}`. */
function factTree(values: Map<string, unknown>): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const [name, value] of values) {
    const parts = name.split(".");
    let at = tree;
    for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[parts.at(-1)!] = value;
  }
  return tree;
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
        const found = templateText(probe, source.file, spec.template);
        if ("text" in found) {
          templates.push({ source, item, ...found });
          return;
        }
        problems.push({
          at: found.at ?? positionOf(source, [...item, "template"]),
          path: formatPath([...item, "template"]),
          message: found.error,
        });
      });
    }
  }
  return templates;
}

/** A template's real path and text, or why not (at its own bytes when they are not UTF-8). */
function templateText(
  probe: Probe,
  cookbook: string,
  written: string,
): { file: string; text: string } | { error: string; at?: Position } {
  const found = repoFile(cookbook, "template", written);
  if ("error" in found) return found;
  const data = readInputVia(probe, found.path, MAX_COOKBOOK_BYTES);
  if ("error" in data) return data;
  const text = decodeUtf8(data);
  if (typeof text === "string") return { file: found.path, text };
  return { error: "not valid UTF-8", at: { file: found.path, ...text } };
}

/** The facts named, read at once; a fact that cannot be read keeps its error. */
async function readFacts(names: Set<string>, probe: Probe): Promise<Facts> {
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

/** The facts named, from saved ones; one missing from them is an error of that fact. */
function givenFacts(given: Record<string, unknown>, names: Set<string>): Facts {
  const values = new Map<string, unknown>();
  const errors = new Map<string, string>();
  for (const name of names) {
    if (name in given) values.set(name, given[name]);
    else errors.set(name, "not in the facts given (--facts)");
  }
  return { values, errors };
}

/** Whether a YAML path is an item's `when:` (`configure.files[0].when`). */
function isWhen(path: PropertyKey[]): boolean {
  return path.length === 4 && path[3] === "when";
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

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, offset));
  return { line: before.split("\n").length, col: offset - before.lastIndexOf("\n") };
}
