/**
 * Run order: sections in their fixed order, declared order inside a section,
 * moved only as far as explicit `requires` demand.
 *
 * @module
 */
import type { Resource, TargetResolver } from "../cookbook/cookbook.ts";
import { targetResolver } from "../cookbook/cookbook.ts";
import { CookbookError } from "../errors.ts";
import { SECTIONS } from "../../resources/mod.ts";

/** Sorts resources for running; throws {@link CookbookError} on a `requires` cycle. */
export function order(resources: Resource[]): Resource[] {
  // Rank: section first (its removals first where it says so), then declared order.
  const ranked = resources.map((r, i) => ({ r, rank: (r.section * 2 + laterHalf(r)) * 1e6 + i }))
    .sort((a, b) => a.rank - b.rank);
  if (!resources.some((r) => r.spec.requires?.length || waitsForRemovals(r))) {
    return ranked.map((x) => x.r);
  }

  const byId = new Map(resources.map((r) => [r.id, r]));
  const resolve = targetResolver(resources);
  const implicit = implicitRequirements(resources, resolve);
  const rankOf = new Map(ranked.map((x) => [x.r.id, x.rank]));
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const r of resources) {
    const deps = new Set([...requirements(r, resolve), ...implicit(r)]);
    waiting.set(r.id, deps.size);
    for (const id of deps) {
      const list = dependents.get(id);
      if (list) list.push(r.id);
      else dependents.set(id, [r.id]);
    }
  }
  // Kahn's algorithm, always taking the lowest-ranked ready resource (a binary heap).
  const heap = new RankHeap();
  for (const r of resources) if (waiting.get(r.id) === 0) heap.push(rankOf.get(r.id)!, r);
  const sorted: Resource[] = [];
  for (let next = heap.pop(); next; next = heap.pop()) {
    sorted.push(next);
    for (const id of dependents.get(next.id) ?? []) {
      const left = waiting.get(id)! - 1;
      waiting.set(id, left);
      if (left === 0) heap.push(rankOf.get(id)!, byId.get(id)!);
    }
  }
  if (sorted.length < resources.length) {
    const done = new Set(sorted);
    const stuck = resources.filter((r) => !done.has(r));
    throw new CookbookError(stuck.map((r) => ({
      at: r.at,
      path: `${r.path}.requires`,
      message: `requires cycle among ${stuck.map((s) => s.id).join(", ")}`,
    })));
  }
  return sorted;
}

/** The ids a resource depends on through `requires` (checked to resolve when loading). */
export function requirements(resource: Resource, resolve: TargetResolver): string[] {
  return (resource.spec.requires ?? []).map((t: string) => resolve(t)!);
}

/** Section index → the kinds its items wait for (`Section.waitsFor`). */
const WAITS = new Map(SECTIONS.flatMap((s, i) => s.waitsFor ? [[i, s.waitsFor] as const] : []));
/** Section index → the kinds whose removals its removals wait for (`Section.removalWaitsFor`). */
const REMOVAL_WAITS = new Map(
  SECTIONS.flatMap((s, i) => s.removalWaitsFor ? [[i, s.removalWaitsFor] as const] : []),
);

/** 0 for an item removed in a section whose removals come first (`Section.removalsFirst`), else 1. */
function laterHalf(resource: Resource): number {
  return SECTIONS[resource.section]?.removalsFirst && REMOVED.includes(resource.spec.state) ? 0 : 1;
}

/** Whether `resource` is removed after other removals (`Section.removalWaitsFor`). */
function waitsForRemovals(resource: Resource): boolean {
  return REMOVAL_WAITS.has(resource.section) && REMOVED.includes(resource.spec.state);
}

/**
 * The ids each resource waits for without saying so (see `Section.waitsFor`):
 * every resource of those kinds in `resources`. What one of those requires,
 * even through others (curl for a repository's key), waits for none of them:
 * it comes first, from what is already there, so that two repositories each
 * requiring a package make no cycle (one that must come from another
 * repository says `requires:` on it). Nor does an item being removed
 * (`state: absent`, `purged`): it comes from no repository.
 */
export function implicitRequirements(
  resources: Resource[],
  resolve: TargetResolver,
): (resource: Resource) => string[] {
  const removals = removalRequirements(resources);
  const waited = new Set([...WAITS.values()].flat());
  const targets = resources.filter((r) => waited.has(r.kind));
  if (!targets.length) return removals;
  const byId = new Map(resources.map((r) => [r.id, r]));
  const prerequisites = new Set(targets.flatMap((t) => [...requiredClosure(t, byId, resolve)]));
  return (resource) => {
    if (waitsForRemovals(resource)) return removals(resource);
    const kinds = WAITS.get(resource.section);
    if (!kinds || prerequisites.has(resource.id) || REMOVED.includes(resource.spec.state)) {
      return [];
    }
    return targets.filter((t) => kinds.includes(t.kind)).map((t) => t.id);
  };
}

/** The states that remove an item. */
const REMOVED = ["absent", "purged"];

/** The removals each removal waits for (`Section.removalWaitsFor`): a group's, the users'. */
function removalRequirements(resources: Resource[]): (resource: Resource) => string[] {
  return (resource) => {
    if (!waitsForRemovals(resource)) return [];
    const kinds = REMOVAL_WAITS.get(resource.section)!;
    return resources.filter((r) => kinds.includes(r.kind) && REMOVED.includes(r.spec.state))
      .map((r) => r.id);
  };
}

/** Every id `resource` requires, directly or through what it requires. */
function requiredClosure(
  resource: Resource,
  byId: Map<string, Resource>,
  resolve: TargetResolver,
): Set<string> {
  const seen = new Set<string>();
  const walk = (r: Resource) => {
    for (const id of requirements(r, resolve)) {
      if (seen.has(id)) continue;
      seen.add(id);
      const next = byId.get(id);
      if (next) walk(next);
    }
  };
  walk(resource);
  return seen;
}

/** A min-heap of resources by rank. */
class RankHeap {
  #items: { rank: number; r: Resource }[] = [];

  push(rank: number, r: Resource): void {
    const items = this.#items;
    items.push({ rank, r });
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (items[parent].rank <= items[i].rank) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }

  pop(): Resource | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (!items.length || !last) return top?.r;
    items[0] = last;
    for (let i = 0;;) {
      const l = 2 * i + 1, r = l + 1;
      let min = i;
      if (l < items.length && items[l].rank < items[min].rank) min = l;
      if (r < items.length && items[r].rank < items[min].rank) min = r;
      if (min === i) break;
      [items[min], items[i]] = [items[i], items[min]];
      i = min;
    }
    return top.r;
  }
}
