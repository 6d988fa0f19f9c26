/**
 * Run order: sections in their fixed order, declared order inside a section,
 * moved only as far as explicit `requires` demand.
 *
 * @module
 */
import type { Resource } from "../cookbook/load.ts";
import { resolveTarget } from "../cookbook/load.ts";
import { CookbookError } from "../cookbook/errors.ts";

/** Sorts resources for running; throws {@link CookbookError} on a `requires` cycle. */
export function order(resources: Resource[]): Resource[] {
  const rank = new Map(resources.map((r, i) => [r.id, r.phase * 1e6 + i]));
  const byId = new Map(resources.map((r) => [r.id, r]));
  const waitingOn = new Map<string, Set<string>>();
  const dependents = new Map<string, string[]>();
  for (const r of resources) {
    const deps = new Set<string>();
    for (const target of r.spec.requires ?? []) {
      const id = resolveTarget(target, byId)!;
      deps.add(id);
      dependents.set(id, [...dependents.get(id) ?? [], r.id]);
    }
    waitingOn.set(r.id, deps);
  }
  const ready = resources.filter((r) => waitingOn.get(r.id)!.size === 0);
  const sorted: Resource[] = [];
  while (ready.length) {
    ready.sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
    const next = ready.shift()!;
    sorted.push(next);
    for (const id of dependents.get(next.id) ?? []) {
      const deps = waitingOn.get(id)!;
      deps.delete(next.id);
      if (deps.size === 0) ready.push(byId.get(id)!);
    }
  }
  if (sorted.length < resources.length) {
    const stuck = resources.filter((r) => !sorted.includes(r));
    throw new CookbookError(stuck.map((r) => ({
      at: r.at,
      path: `${r.path}.requires`,
      message: `requires cycle among ${stuck.map((s) => s.id).join(", ")}`,
    })));
  }
  return sorted;
}

/** The ids a resource depends on through `requires`. */
export function requirements(resource: Resource, ids: { has(id: string): boolean }): string[] {
  return (resource.spec.requires ?? []).map((t: string) => resolveTarget(t, ids)!);
}
