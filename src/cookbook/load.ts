/**
 * Loads cookbooks in four stages, each data in → `{ value, problems }` out:
 * parse (YAML with positions, includes) → vars (each use of a cookbook
 * its own) → render (facts, templates, `when:`) → check (schemas, kinds' rules, claims,
 * targets). Reads through a probe; writes nothing.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { CookbookError, type Problem } from "../errors.ts";
import { absolute, type Cookbook, type Resource } from "./cookbook.ts";
import { parseCookbooks } from "./parse.ts";
import { renderCookbooks, type RenderOptions } from "./render.ts";
import { checkCookbooks } from "./check.ts";
import { readNodeVars } from "./node_vars.ts";
import { kindOf } from "../../resources/mod.ts";
import { collectGarbage } from "../memory.ts";
import { maskStrings } from "../text.ts";

export type { Cookbook, RenderOptions, Resource };

/** How to load: the facts to use, and the node's vars file. */
export interface LoadOptions {
  /** Facts to use instead of reading this machine's (dotted names). */
  facts?: Record<string, unknown>;
  /** The node's own vars file (see node_vars.ts): its vars override every cookbook's. */
  varsFile?: string;
}

/**
 * Loads and validates cookbooks (absolute or relative to the working
 * directory), includes first; `options.facts` replaces this machine's facts,
 * `options.varsFile` adds the node's own vars.
 *
 * @throws {CookbookError} with every problem found: after parsing when a file
 * is missing or not YAML (or the vars file is refused), else after all the
 * other stages.
 */
export async function loadCookbooks(
  paths: string[],
  probe: Probe,
  options: LoadOptions = {},
): Promise<Cookbook> {
  const parsed = parseCookbooks(paths, probe);
  collectGarbage();
  // Absolute: the catalog keys it by path, as it keys the cookbooks.
  const varsFile = options.varsFile === undefined ? undefined : absolute(options.varsFile);
  const node = varsFile === undefined ? undefined : readNodeVars(probe, varsFile);
  const refused = [...parsed.problems, ...Array.isArray(node) ? node : []];
  if (refused.length) throw new CookbookError(refused);
  const { sources } = parsed.value;
  const nodeVars = node && !Array.isArray(node) ? node.raw.vars : undefined;
  const secrets = nodeVars === undefined ? undefined : secretsOf(nodeVars);
  const rendered = await renderCookbooks(parsed.value, probe, { facts: options.facts, nodeVars });
  const checked = await checkCookbooks(rendered.value);
  const problems = [...rendered.problems, ...checked.problems];
  // A problem quotes the rendered value: the node's, for a var the vars file sets.
  if (problems.length) throw new CookbookError(sortProblems(maskStrings(problems, secrets ?? [])));
  await prepare(checked.value);
  const top = rendered.value.sources.at(-1)!.raw;
  const { healthSchema } = await import("./health_schema.ts");
  const health = rendered.value.sources.flatMap((s) => healthSchema.parse(s.raw.health ?? []));
  return {
    name: typeof top.name === "string" ? top.name : sources.at(-1)!.file,
    version: top.version === undefined ? undefined : String(top.version),
    description: top.description,
    files: sources.map((p) => p.file),
    resources: checked.value,
    health,
    ...(top.rollback ? { rollback: top.rollback } : {}),
    ...(secrets ? { secrets } : {}),
    inputs: {
      requested: paths.map((p) => absolute(p)),
      files: [
        ...sources.map((p) => p.file),
        ...rendered.value.templateFiles,
        ...(varsFile === undefined ? [] : [varsFile]),
      ],
      facts: rendered.value.facts,
      ...(varsFile === undefined ? {} : { varsFile }),
    },
  };
}

/**
 * How long a text (or number) of the vars file must be to be masked in output: shorter
 * ones (a port, "prod") are rarely secrets and would hide too much.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * What output must not show of the node's `vars`: each text or number of
 * {@link MIN_SECRET_LENGTH} characters or more, each such line of it (a
 * `--diff` shows a multi-line value line by line) and its JSON-escaped form (a
 * problem message or the audit log quotes it so).
 */
function secretsOf(vars: unknown): string[] {
  const forms = (t: string) => [t, ...t.split(/\r?\n/), JSON.stringify(t).slice(1, -1)];
  const shown = textsOf(vars).flatMap(forms);
  // Blanks are no secret, and masking them would mask every indentation.
  return [...new Set(shown)].filter((t) => t.length >= MIN_SECRET_LENGTH && t.trim() !== "");
}

/** Every string and number (as a template renders it) in `value` (plain data), at any depth. */
function textsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  // A PIN or an account number is a secret too.
  if (typeof value === "number") return [String(value)];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(textsOf);
}

/** Each kind's `prepare` over its resources' specs (valid, merged): derived data the catalog keeps. */
async function prepare(resources: Resource[]): Promise<void> {
  const byKind = Map.groupBy(resources, (r) => r.kind);
  for (const [kind, items] of byKind) await kindOf(kind).prepare?.(items.map((r) => r.spec));
}

/** By file, line and column (stable: problems at one place keep their order). */
function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) =>
    a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line || a.at.col - b.at.col
  );
}
