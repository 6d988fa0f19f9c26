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

export type { Cookbook, RenderOptions, Resource };

/**
 * Loads and validates cookbooks (absolute or relative to the working
 * directory), includes first; `options.facts` replaces this machine's facts.
 *
 * @throws {CookbookError} with every problem found: after parsing when a file
 * is missing or not YAML, else after all the other stages.
 */
export async function loadCookbooks(
  paths: string[],
  probe: Probe,
  options: RenderOptions = {},
): Promise<Cookbook> {
  const parsed = parseCookbooks(paths, probe);
  if (parsed.problems.length) throw new CookbookError(parsed.problems);
  const { sources } = parsed.value;
  const rendered = await renderCookbooks(parsed.value, probe, options);
  const checked = await checkCookbooks(rendered.value);
  const problems = [...rendered.problems, ...checked.problems];
  if (problems.length) throw new CookbookError(sortProblems(problems));
  const top = rendered.value.sources.at(-1)!.raw;
  return {
    name: typeof top.name === "string" ? top.name : sources.at(-1)!.file,
    version: top.version === undefined ? undefined : String(top.version),
    description: top.description,
    files: sources.map((p) => p.file),
    resources: checked.value,
    inputs: {
      requested: paths.map((p) => absolute(p)),
      files: [...sources.map((p) => p.file), ...rendered.value.templateFiles],
      facts: rendered.value.facts,
    },
  };
}

/** By file, line and column (stable: problems at one place keep their order). */
function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) =>
    a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line || a.at.col - b.at.col
  );
}
