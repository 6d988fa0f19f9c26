/**
 * Loading, stage 2: the vars each use of a cookbook sees. A cookbook's own
 * `vars:` are defaults; its includer's vars, then the `vars:` its include
 * passes, override them. Cookbooks side by side (given together, or included
 * by one cookbook) do not see each other's vars. The node's own vars (its
 * vars file, node_vars.ts) override every cookbook's, at every level.
 *
 * @module
 */
import type { Instance } from "./parse.ts";
import type { YamlSource } from "./yaml_source.ts";

/** The vars one use of a cookbook sees, by name. */
export type Scope = Record<string, unknown>;

/**
 * Fills in the templates of one string written at `path` in `source`, with
 * `scope`; undefined when it cannot (the problem is recorded by the filler).
 */
export type Fill = (
  text: string,
  scope: Scope,
  source: YamlSource,
  path: PropertyKey[],
) => string | undefined;

/**
 * The scope of every instance, computed from the top: includers before
 * what they include; `node` (the node's vars, as written) overrides all.
 */
export function scopes(
  instances: readonly Instance[],
  fill: Fill,
  node: Scope = {},
): Map<Instance, Scope> {
  const found = new Map<Instance, Scope>();
  const scopeOf = (instance: Instance): Scope => {
    let scope = found.get(instance);
    if (scope) return scope;
    scope = instance.parent
      ? ownScope(instance, scopeOf(instance.parent), fill, node)
      : defaults(instance.source, { ...node }, fill);
    found.set(instance, scope);
    return scope;
  };
  for (const instance of instances) scopeOf(instance);
  return found;
}

/** An included cookbook's scope: its includer's, the vars its include passes, over its defaults. */
function ownScope(instance: Instance, parentScope: Scope, fill: Fill, node: Scope): Scope {
  const parent = instance.parent!;
  const entry = parent.source.raw.include[instance.via![1] as number];
  const passed = isMapping(entry?.vars) ? entry.vars : {};
  const override: Scope = { ...parentScope };
  for (const [name, value] of Object.entries(passed)) {
    override[name] = fillDeep(
      value,
      parentScope,
      parent.source,
      [...instance.via!, "vars", name],
      fill,
    );
  }
  return defaults(instance.source, { ...override, ...node }, fill);
}

/**
 * `override` over the cookbook's own vars, each own var filled in declared
 * order (it may use the vars before it and every override).
 */
function defaults(source: YamlSource, override: Scope, fill: Fill): Scope {
  const own = isMapping(source.raw?.vars) ? source.raw.vars : {};
  const scope: Scope = {};
  // What each own var may use, grown in place: a copy per var is quadratic in a long vars: list.
  const visible: Scope = { ...override };
  for (const [name, value] of Object.entries(own)) {
    if (name in override) continue;
    scope[name] = visible[name] = fillDeep(value, visible, source, ["vars", name], fill);
  }
  return { ...scope, ...override };
}

/** `value` with every string in it filled in (a string that cannot be is kept as written). */
export function fillDeep(
  value: unknown,
  scope: Scope,
  source: YamlSource,
  path: PropertyKey[],
  fill: Fill,
): unknown {
  if (typeof value === "string") return fill(value, scope, source, path) ?? value;
  if (Array.isArray(value)) {
    return value.map((v, i) => fillDeep(v, scope, source, [...path, i], fill));
  }
  if (isMapping(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fillDeep(v, scope, source, [...path, k], fill)]),
    );
  }
  return value;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
