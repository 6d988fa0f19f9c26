/**
 * Loading, stage 2: the vars of every cookbook as one namespace. A cookbook
 * overrides the vars of the cookbooks it includes (transitively); cookbooks
 * not related by includes must agree.
 *
 * @module
 */
import { describeValue, formatPath } from "./problems.ts";
import type { Problem } from "../errors.ts";
import type { Staged } from "./cookbook.ts";
import type { Parsed } from "./parse.ts";
import { positionOf, type YamlSource } from "./yaml_source.ts";

/** The merged vars, as written (placeholders in them are filled in by the render stage). */
export interface Vars {
  /** Each var's winning value, by name. */
  values: Record<string, unknown>;
  /** The cookbook each var's value comes from. */
  origin: Map<string, YamlSource>;
}

/** Merges the vars of `parsed`; two unrelated cookbooks giving one var two values is a problem. */
export function mergeVars(parsed: Parsed): Staged<Vars> {
  const definers = new Map<string, YamlSource[]>();
  for (const p of parsed.sources) {
    const own = p.raw?.vars;
    if (!own || typeof own !== "object" || Array.isArray(own)) continue;
    for (const name of Object.keys(own)) definers.set(name, [...definers.get(name) ?? [], p]);
  }
  const reaches = includeReach(parsed.includesOf);
  const problems: Problem[] = [];
  const values: Record<string, unknown> = {};
  const origin = new Map<string, YamlSource>();
  for (const [name, all] of definers) {
    problems.push(...conflicts(name, all, reaches));
    const last = all.at(-1)!;
    values[name] = last.raw.vars[name];
    origin.set(name, last);
  }
  return { value: { values, origin }, problems };
}

/**
 * The definitions of `name` that no other overrides must agree; includes are
 * parsed first, so the last definition is one of them.
 */
function conflicts(
  name: string,
  all: YamlSource[],
  reaches: (a: string, b: string) => boolean,
): Problem[] {
  const winners = all.filter((p) => !all.some((q) => q !== p && reaches(q.file, p.file)));
  const [first, ...others] = winners;
  return others.filter((p) => !sameVar(p.raw.vars[name], first.raw.vars[name])).map((p) => {
    const at = positionOf(first, ["vars", name]);
    return {
      at: positionOf(p, ["vars", name]),
      path: formatPath(["vars", name]),
      message:
        `${describeValue(p.raw.vars[name])} conflicts with ${
          describeValue(first.raw.vars[name])
        } from ${at.file}:${at.line}:${at.col}; cookbooks given together share one set of vars ` +
        "(rename one, or move it to a shared include)",
    };
  });
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
