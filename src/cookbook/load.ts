/**
 * Loads cookbooks: YAML with source positions → includes → vars and facts →
 * schema validation → resources with ids, in run order.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { KINDS, SECTIONS } from "../../resources/mod.ts";
import { SCHEMAS } from "../../resources/schemas.ts";
import type { KindRules, ResourceKind } from "../../resources/resource.ts";
import { splitCommand } from "../../resources/_argv.ts";
import { cookbookSchema, knownKeys } from "./schema.ts";
import { parseYaml, positionOf, schemaProblems, valueAt, type YamlSource } from "./yaml_source.ts";
import {
  CookbookError,
  describeValue,
  didYouMean,
  formatPath,
  type Position,
  type Problem,
} from "./errors.ts";
import { hasPlaceholder, makeLookup, render, TemplateError } from "./template.ts";
import { factReader, FACTS, unknownFact } from "./facts.ts";
import {
  absolute,
  type Cookbook,
  dirOf,
  repoFile,
  resolveTarget,
  type Resource,
} from "./cookbook.ts";

export type { Cookbook, Resource };

const decoder = new TextDecoder();

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

function setAt(raw: unknown, path: readonly PropertyKey[], value: unknown): void {
  // deno-lint-ignore no-explicit-any
  const parent: any = valueAt(raw, path.slice(0, -1));
  parent[path.at(-1) as string] = value;
}

/** Loads and validates cookbooks; throws {@link CookbookError} with every problem found. */
export async function loadCookbooks(paths: string[], probe: Probe): Promise<Cookbook> {
  const problems: Problem[] = [];
  const parsed: YamlSource[] = [];
  const loading: string[] = [];
  /** Each cookbook's direct includes, as absolute paths. */
  const includesOf = new Map<string, string[]>();

  const parse = (file: string, from?: { at: Position; path: string; written: string }): void => {
    if (parsed.some((p) => p.file === file)) return;
    if (loading.includes(file)) {
      problems.push({
        at: from!.at,
        path: from!.path,
        message: `expected no include cycle, got ${[...loading, file].join(" -> ")}`,
      });
      return;
    }
    const data = probe.readFile(file);
    if (data === null) {
      problems.push({
        at: from?.at ?? { file, line: 1, col: 1 },
        path: from?.path ?? "",
        message: from
          ? `included cookbook "${from.written}" not found (looked for ${file})`
          : `cookbook "${file}" not found`,
      });
      return;
    }
    const self = parseYaml(file, decoder.decode(data), "a mapping (name, install, configure, ...)");
    if (Array.isArray(self)) {
      problems.push(...self);
      return;
    }
    loading.push(file);
    const includes = self.raw?.include;
    includesOf.set(file, []);
    if (Array.isArray(includes)) {
      includes.forEach((inc, i) => {
        if (typeof inc === "string") {
          const included = absolute(inc, dirOf(file));
          includesOf.get(file)!.push(included);
          parse(included, {
            at: positionOf(self, ["include", i]),
            path: formatPath(["include", i]),
            written: inc,
          });
        }
      });
    }
    loading.pop();
    parsed.push(self);
  };
  for (const path of paths) parse(absolute(path));
  if (problems.length) throw new CookbookError(problems);

  // Vars are one namespace. A cookbook overrides the vars of the cookbooks it
  // includes (transitively); cookbooks not related by includes must agree.
  const definers = new Map<string, YamlSource[]>();
  for (const p of parsed) {
    const own = p.raw?.vars;
    if (!own || typeof own !== "object" || Array.isArray(own)) continue;
    for (const name of Object.keys(own)) {
      definers.set(name, [...definers.get(name) ?? [], p]);
    }
  }
  const reaches = includeReach(includesOf);
  const vars: Record<string, unknown> = {};
  const varOrigin = new Map<string, YamlSource>();
  for (const [name, all] of definers) {
    // The definitions no other definition overrides; includes are parsed
    // first, so the last definition is one of them.
    const winners = all.filter((p) => !all.some((q) => q !== p && reaches(q.file, p.file)));
    const [first] = winners;
    for (const p of winners.slice(1)) {
      const [value, firstValue] = [p.raw.vars[name], first.raw.vars[name]];
      if (sameVar(value, firstValue)) continue;
      const at = positionOf(first, ["vars", name]);
      problems.push({
        at: positionOf(p, ["vars", name]),
        path: formatPath(["vars", name]),
        message:
          `${describeValue(value)} conflicts with ${
            describeValue(firstValue)
          } from ${at.file}:${at.line}:${at.col}; cookbooks given together share one set of vars ` +
          "(rename one, or move it to a shared include)",
      });
    }
    const last = all.at(-1)!;
    vars[name] = last.raw.vars[name];
    varOrigin.set(name, last);
  }
  const readFact = factReader(probe);
  const facts = new Map<string, unknown>();
  const factNames = new Set<string>();
  const templateTexts = new Map<string, string>();
  /** Rendered templates by `file#yaml.path`, with the template file they came from. */
  const rendered = new Map<string, { content: string; templatePath: string }>();
  for (const p of parsed) {
    for (const [, text] of strings(p.raw)) factsUsed(text, factNames);
  }
  const templateSources: { p: YamlSource; path: PropertyKey[]; file: string }[] = [];
  for (const p of parsed) {
    const files = p.raw?.configure?.files;
    if (!Array.isArray(files)) continue;
    files.forEach((spec, i) => {
      if (typeof spec?.template !== "string") return;
      const found = repoFile(p.file, "template", spec.template);
      const file = "path" in found ? found.path : undefined;
      const data = file === undefined ? null : probe.readFile(file);
      if (file === undefined || data === null) {
        problems.push({
          at: positionOf(p, ["configure", "files", i, "template"]),
          path: formatPath(["configure", "files", i, "template"]),
          message: "error" in found ? found.error : `template "${spec.template}" cannot be read`,
        });
        return;
      }
      const text = decoder.decode(data);
      templateTexts.set(file, text);
      factsUsed(text, factNames);
      templateSources.push({ p, path: ["configure", "files", i], file });
    });
  }
  const factErrors = new Map<string, string>();
  await Promise.all([...factNames].map(async (name) => {
    try {
      facts.set(name, await readFact(name));
    } catch (error) {
      factErrors.set(name, (error as Error).message);
    }
  }));
  const lookup = makeLookup(vars, (name) => {
    if (!(name in FACTS)) throw new Error(unknownFact(name));
    if (factErrors.has(name)) throw new Error(`fact "facts.${name}": ${factErrors.get(name)}`);
    return facts.get(name);
  });
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value !== "string" || !hasPlaceholder(value)) continue;
    try {
      vars[name] = render(value, lookup);
    } catch (error) {
      // An unknown name or a fact that cannot be read: a cookbook problem, not a bug.
      problems.push({
        at: positionOf(varOrigin.get(name)!, ["vars", name]),
        path: formatPath(["vars", name]),
        message: (error as Error).message,
      });
    }
  }

  // Render placeholders in every string outside vars, then validate.
  for (const p of parsed) {
    for (const [path, text] of [...strings(p.raw)]) {
      if (path[0] === "vars" || !hasPlaceholder(text)) continue;
      try {
        setAt(p.raw, path, render(text, lookup));
      } catch (error) {
        problems.push({
          at: positionOf(p, path),
          path: formatPath(path),
          message: (error as Error).message,
        });
      }
    }
  }
  for (const t of templateSources) {
    const text = templateTexts.get(t.file)!;
    try {
      rendered.set(`${t.p.file}#${formatPath(t.path)}`, {
        content: render(text, lookup),
        templatePath: t.file,
      });
    } catch (error) {
      problems.push({
        at: {
          file: t.file,
          ...lineCol(text, error instanceof TemplateError ? error.offset : text.indexOf("{{")),
        },
        path: formatPath([...t.path, "template"]),
        message: (error as Error).message,
      });
    }
  }

  const resources: Resource[] = [];
  const origin = new Map<Resource, { p: YamlSource; path: PropertyKey[] }>();
  let schemaFailed = false;
  for (const p of parsed) {
    const result = cookbookSchema.safeParse(p.raw);
    if (!result.success) {
      problems.push(...schemaProblems(p, result.error.issues, knownKeys));
      schemaFailed = true;
      // Still run the per-resource checks on the items that are valid on their own.
      for (const section of SECTIONS) {
        const items = valueAt(p.raw, section.path);
        if (!Array.isArray(items)) continue;
        items.forEach((item, i) => {
          const one = SCHEMAS[section.kind.kind as keyof typeof SCHEMAS].safeParse(item);
          if (one.success) {
            problems.push(...checkSpec(section.kind.kind, one.data, p, [...section.path, i]));
          }
        });
      }
      continue;
    }
    SECTIONS.forEach((section, phase) => {
      // deno-lint-ignore no-explicit-any
      const items = valueAt(result.data, section.path) as any[] | undefined;
      items?.forEach((spec, i) => {
        const path = [...section.path, i];
        const at = positionOf(p, path);
        const check = checkSpec(section.kind.kind, spec, p, path);
        problems.push(...check);
        const resource: Resource = {
          kind: section.kind as unknown as ResourceKind,
          id: (section.kind as unknown as ResourceKind).id(spec),
          spec,
          at,
          path: formatPath(path),
          phase,
        };
        resources.push(resource);
        origin.set(resource, { p, path });
      });
    });
  }
  // Cross checks need every resource: after a schema problem they would report
  // targets in the broken file as missing.
  if (!schemaFailed) {
    problems.push(...crossCheck(resources, (r, sub) => {
      const { p, path } = origin.get(r)!;
      return positionOf(p, [...path, ...sub]);
    }));
  }
  if (problems.length) throw new CookbookError(sortProblems(problems));
  const top = parsed.at(-1)!.raw;
  return {
    name: typeof top.name === "string" ? top.name : parsed.at(-1)!.file,
    version: top.version === undefined ? undefined : String(top.version),
    description: top.description,
    files: parsed.map((p) => p.file),
    resources,
    inputs: {
      requested: paths.map((p) => absolute(p)),
      files: [...parsed.map((p) => p.file), ...templateTexts.keys()],
      facts: Object.fromEntries(facts),
    },
  };

  /** Per-resource checks beyond the schema: the kind's own, file sources and keys, command splitting. */
  // deno-lint-ignore no-explicit-any
  function checkSpec(kind: string, spec: any, p: YamlSource, path: PropertyKey[]): Problem[] {
    const here = (field: string, message: string): Problem => ({
      at: positionOf(p, [...path, field]),
      path: formatPath([...path, field]),
      message,
    });
    const rules = KINDS[kind] as Partial<KindRules<unknown>>;
    const own = rules.check?.(spec).map((x) => here(x.field, x.message)) ?? [];
    if (kind === "apt_repository" && spec.key !== undefined) {
      const found = repoFile(p.file, "key", spec.key);
      if ("error" in found) own.push(here("key", found.error));
      else spec.keyPath = found.path;
    }
    if (own.length) return own;
    if (kind === "file") {
      const given = ["content", "source", "template"].filter((k) => spec[k] !== undefined);
      if (given.length > 1) {
        return [
          here(
            given[1],
            `expected only one of content, source, template, got ${given.join(" and ")}`,
          ),
        ];
      }
      if (spec.state === "absent" && given.length) {
        return [
          here(
            given[0],
            `expected no ${given[0]} with state: absent (the file is removed), got ${
              describeValue(spec[given[0]])
            }`,
          ),
        ];
      }
      if (spec.source !== undefined) {
        const found = repoFile(p.file, "source", spec.source);
        if ("error" in found) return [here("source", found.error)];
        spec.sourcePath = found.path;
      }
      if (spec.template !== undefined) {
        Object.assign(spec, rendered.get(`${p.file}#${formatPath(path)}`));
      }
      return [];
    }
    if (kind === "command") {
      const problems: Problem[] = [];
      for (const field of ["command", "unless", "onlyif"]) {
        if (typeof spec[field] !== "string" || spec.shell) continue;
        const split = splitCommand(spec[field]);
        if (!Array.isArray(split)) problems.push(here(field, split.error));
      }
      if (spec.shell && Array.isArray(spec.command)) {
        problems.push(
          here("command", "expected a command string with shell: true, got a list"),
        );
      }
      if (spec.sensitive && spec.name === undefined) {
        problems.push(
          here(
            "sensitive",
            "expected a name: with sensitive: true (the command text is never shown)",
          ),
        );
      }
      return problems;
    }
    return [];
  }
}

/** `reaches(a, b)`: whether cookbook `a` includes `b`, directly or through other includes. */
function includeReach(includesOf: Map<string, string[]>): (a: string, b: string) => boolean {
  const memo = new Map<string, Set<string>>();
  const below = (file: string): Set<string> => {
    let found = memo.get(file);
    if (found) return found;
    found = new Set();
    memo.set(file, found); // include cycles are reported before this runs
    for (const inc of includesOf.get(file) ?? []) {
      found.add(inc);
      for (const deeper of below(inc)) found.add(deeper);
    }
    return found;
  };
  return (a, b) => below(a).has(b);
}

/** Whether two definitions of a var fill in placeholders the same way (80 and "80" do). */
function sameVar(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    return a === b ||
      (a !== null && b !== null && typeof a !== "object" && typeof b !== "object" &&
        String(a) === String(b));
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && sameVar((a as never)[k], (b as never)[k]));
}

function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) =>
    a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line || a.at.col - b.at.col
  );
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, offset));
  return { line: before.split("\n").length, col: offset - before.lastIndexOf("\n") };
}

/** What a resource manages: its kind's claims; files and directories claim their path. */
function claimsOf(r: Resource): string[] {
  const rules = r.kind as Partial<KindRules<unknown>>;
  if (rules.claims) return rules.claims(r.spec);
  return r.kind.kind === "file" || r.kind.kind === "directory" ? [`path:${r.spec.path}`] : [];
}

/** Checks that involve several resources: duplicates, requires, restart_on/reload_on targets. */
function crossCheck(
  resources: Resource[],
  where: (r: Resource, sub: PropertyKey[]) => Position,
): Problem[] {
  const problems: Problem[] = [];
  const byId = new Map<string, Resource>();
  for (const r of resources) {
    const first = byId.get(r.id);
    if (first) {
      problems.push({
        at: r.at,
        path: r.path,
        message:
          `expected each resource once, got ${r.id} again (first declared at ${first.at.file}:${first.at.line}:${first.at.col})`,
      });
    } else byId.set(r.id, r);
  }
  // Resources of different kinds can manage one thing (a file and a directory at
  // one path, cron[x] and file[/etc/cron.d/x]): they would fight over it.
  const byClaim = new Map<string, Resource>();
  for (const r of resources) {
    for (const claim of claimsOf(r)) {
      const what = claim.slice(0, claim.indexOf(":"));
      const first = byClaim.get(claim);
      if (!first) byClaim.set(claim, r);
      else if (first.id !== r.id) {
        problems.push({
          at: r.at,
          path: r.path,
          message:
            `expected each ${what} once, but ${first.id} and ${r.id} declare the same ${what} ${
              claim.slice(what.length + 1)
            } (${first.id} is declared at ${first.at.file}:${first.at.line}:${first.at.col})`,
        });
      }
    }
  }
  for (const r of resources) {
    for (const field of ["requires", "restart_on", "reload_on"]) {
      const targets: string[] = r.spec[field] ?? [];
      targets.forEach((target, i) => {
        const id = resolveTarget(target, byId);
        if (id) return;
        const isPath = target.startsWith("/");
        const candidates = isPath
          ? [...byId.values()].filter((t) => t.kind.kind === "file" || t.kind.kind === "directory")
            .map((t) => t.spec.path as string)
          : [...byId.keys()];
        const guess = didYouMean(target, candidates);
        problems.push({
          at: where(r, [field, i]),
          path: `${r.path}.${field}[${i}]`,
          message: `expected ${
            isPath
              ? "the path of a file or directory managed by these cookbooks"
              : "the id of a resource in these cookbooks"
          }, got "${target}"${guess ? ` (did you mean "${guess}"?)` : ""}`,
        });
      });
    }
  }
  return problems;
}
