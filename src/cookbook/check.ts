/**
 * Loading, stage 4: validates the rendered cookbooks and makes them
 * resources. Each section's items go through their kind's schema and its
 * `check`; `source:`, `key:` and `template:` are resolved (for any kind that
 * has them); then the checks that need every resource: one declaration per id
 * (identical ones are merged),
 * one claimer per claim (`path:/etc/x`), and `requires` / `restart_on` /
 * `reload_on` targets that exist.
 *
 * @module
 */
import { kindOf, loadKinds, type Section, SECTIONS } from "../../resources/mod.ts";
import { describeValue, formatPath } from "./problems.ts";
import type { Position, Problem } from "../errors.ts";
import { didYouMean } from "../text.ts";
import { claimsOf, repoFile, type Resource, type Staged, targetResolver } from "./cookbook.ts";
import type { Rendered } from "./render.ts";
import { documentSchema, knownKeys } from "./schema.ts";
import { positionOf, schemaProblems, valueAt, type YamlSource } from "./yaml_source.ts";

/** Where an item was written: its cookbook and YAML path. */
interface Origin {
  source: YamlSource;
  path: PropertyKey[];
}

/** The resources of the rendered cookbooks, in declared order, with every problem found. */
export async function checkCookbooks(rendered: Rendered): Promise<Staged<Resource[]>> {
  await loadKinds();
  const schema = await documentSchema();
  const problems: Problem[] = [];
  const resources: Resource[] = [];
  const origins = new Map<Resource, Origin>();
  let schemaFailed = false;
  for (const source of rendered.sources) {
    const result = schema.safeParse(source.raw);
    if (!result.success) {
      problems.push(...schemaProblems(source, result.error.issues, (p) => knownKeys(schema, p)));
      problems.push(...await validItemProblems(source, rendered));
      schemaFailed = true;
      continue;
    }
    for (const [index, section] of SECTIONS.entries()) {
      // deno-lint-ignore no-explicit-any
      const items = valueAt(result.data, section.path) as any[] | undefined;
      items?.forEach((written, i) => {
        const origin = { source, path: [...section.path, i] };
        const item = checkItem(section, written, origin, rendered);
        problems.push(...item.problems);
        const skip = rendered.extras.get(source)?.get(formatPath(origin.path))?.skip;
        const resource: Resource = {
          kind: section.kind,
          id: kindOf(section.kind).id(item.value),
          spec: item.value,
          at: positionOf(source, origin.path),
          root: rendered.roots.get(source),
          path: formatPath(origin.path),
          section: index,
          ...(skip ? { skip } : {}),
        };
        resources.push(resource);
        origins.set(resource, origin);
      });
    }
  }
  // Cross checks need every resource: after a schema problem they would report
  // targets in the broken file as missing.
  if (!schemaFailed) {
    const merged = mergeIdentical(resources);
    resources.splice(0, resources.length, ...merged.value);
    problems.push(...merged.problems, ...conflicts(resources), ...underRemoved(resources));
    problems.push(...unresolved(resources, (r, sub) => {
      const { source, path } = origins.get(r)!;
      return positionOf(source, [...path, ...sub]);
    }));
  }
  return { value: resources, problems };
}

/** In a cookbook the schema refused: the problems of the items that are valid on their own. */
async function validItemProblems(source: YamlSource, rendered: Rendered): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const section of SECTIONS) {
    const items = valueAt(source.raw, section.path);
    if (!Array.isArray(items)) continue;
    const { schema } = await section.schema();
    items.forEach((written, i) => {
      const one = schema.safeParse(written);
      if (!one.success) return;
      const origin = { source, path: [...section.path, i] };
      problems.push(...checkItem(section, one.data, origin, rendered).problems);
    });
  }
  return problems;
}

/**
 * One item the schema accepted: its kind's `check`, then (when that found
 * nothing) its `source` and `template` resolved into a new spec.
 */
// deno-lint-ignore no-explicit-any
function checkItem(section: Section, spec: any, origin: Origin, rendered: Rendered): Staged<any> {
  const here = (field: string, message: string): Problem => ({
    at: positionOf(origin.source, [...origin.path, field]),
    path: formatPath([...origin.path, field]),
    message,
  });
  const broken = (kindOf(section.kind).check?.(spec) ?? []).map((p) =>
    here(
      p.field,
      !("got" in p)
        ? p.message
        : `${p.message}, got ${spec.sensitive ? "(sensitive: not shown)" : describeValue(p.got)}`,
    )
  );
  if (broken.length) return { value: spec, problems: broken };
  let resolved = spec;
  // Files named relative to the cookbook (a file's source, a repository's key) must stay in its repository.
  for (const field of ["source", "key"] as const) {
    if (typeof spec[field] !== "string") continue;
    const found = repoFile(origin.source.file, field, spec[field]);
    if ("error" in found) return { value: spec, problems: [here(field, found.error)] };
    resolved = { ...resolved, [`${field}Path`]: found.path };
  }
  if (typeof spec.template === "string") {
    const template = rendered.extras.get(origin.source)?.get(formatPath(origin.path))?.template;
    resolved = { ...resolved, ...template };
  }
  return { value: resolved, problems: [] };
}

/** Where a resource was first declared, for messages: `web.yaml:3:7`. */
function declared(r: Resource): string {
  return `${r.at.file}:${r.at.line}:${r.at.col}`;
}

/**
 * One resource per id: a declaration identical to an earlier one (two roles
 * both wanting `package: curl`) is dropped; a different one is a problem,
 * unless all but one are skipped by their `when:` (a role's Puppet-style
 * `ensure`: the file with its content when present, `state: absent` else).
 */
function mergeIdentical(resources: Resource[]): Staged<Resource[]> {
  const first = new Map<string, Resource>();
  const problems: Problem[] = [];
  const kept: Resource[] = [];
  for (const r of resources) {
    const earlier = first.get(r.id);
    if (!earlier) {
      first.set(r.id, r);
      kept.push(r);
      continue;
    }
    if (r.skip && !earlier.skip) continue;
    if (earlier.skip && !r.skip) {
      kept.splice(kept.indexOf(earlier), 1, r);
      first.set(r.id, r);
      continue;
    }
    if (r.skip) continue;
    const fields = differing(earlier, r);
    if (!fields.length) continue;
    problems.push({
      at: r.at,
      path: r.path,
      message: `expected each resource once, or declared the same way, got ${r.id} again with ` +
        `a different ${fields.join(", ")} (first declared at ${declared(earlier)})`,
    });
  }
  return { value: kept, problems };
}

/** The fields two declarations of one id differ in, as written (`template` for the resolved `templatePath`). */
function differing(a: Resource, b: Resource): string[] {
  const keys = [...new Set([...Object.keys(a.spec), ...Object.keys(b.spec)])];
  const fields = keys.filter((k) => JSON.stringify(a.spec[k]) !== JSON.stringify(b.spec[k]));
  return [...new Set(fields.map((k) => k.replace(/Path$/, "")))];
}

/** Two resources claiming one thing (a file and a directory at one path fight over one inode). */
function conflicts(resources: Resource[]): Problem[] {
  const claimedBy = new Map<string, Resource>();
  const problems: Problem[] = [];
  for (const r of resources) {
    for (const claim of claimsOf(r)) {
      const first = claimedBy.get(claim);
      if (!first) claimedBy.set(claim, r);
      else if (first.id !== r.id) {
        const what = claim.slice(0, claim.indexOf(":"));
        problems.push({
          at: r.at,
          path: r.path,
          message:
            `expected each ${what} once, but ${first.id} and ${r.id} declare the same ${what} (${first.id} is declared at ${
              declared(first)
            })`,
        });
      }
    }
  }
  return problems;
}

/**
 * Resources that would make something under a directory the same run removes
 * (`state: absent`): one of the two would undo the other on every run.
 */
function underRemoved(resources: Resource[]): Problem[] {
  const removed = resources.filter((r) => r.kind === "directory" && r.spec.state === "absent");
  if (!removed.length) return [];
  const problems: Problem[] = [];
  for (const r of resources) {
    if (r.spec.state === "absent" || r.skip) continue;
    for (const claim of claimsOf(r).filter((c) => c.startsWith("path:"))) {
      const path = claim.slice("path:".length);
      const tree = removed.find((d) => !d.skip && path.startsWith(`${d.spec.path}/`));
      if (!tree) continue;
      problems.push({
        at: r.at,
        path: r.path,
        message: `expected nothing under ${tree.id}, which state: absent removes (declared at ${
          declared(tree)
        }), got ${r.id}`,
      });
    }
  }
  return problems;
}

/** `requires`, `restart_on`, `reload_on` and `run_on` entries that name no resource of these cookbooks. */
function unresolved(
  resources: Resource[],
  where: (r: Resource, sub: PropertyKey[]) => Position,
): Problem[] {
  const resolve = targetResolver(resources);
  const ids = [...new Set(resources.map((r) => r.id))];
  const pathsOf = (r: Resource) =>
    claimsOf(r).filter((c) => c.startsWith("path:")).map((c) => c.slice("path:".length));
  const paths = resources.flatMap(pathsOf);
  const problems: Problem[] = [];
  for (const r of resources) {
    // A resource never names itself: suggesting its own id or path would be a cycle.
    const own = new Set([r.id, ...pathsOf(r)]);
    const others = (candidates: string[]) => candidates.filter((c) => !own.has(c));
    for (const field of ["requires", "restart_on", "reload_on", "run_on"]) {
      const targets: string[] = r.spec[field] ?? [];
      targets.forEach((target, i) => {
        if (resolve(target)) return;
        const isPath = target.startsWith("/");
        const guess = didYouMean(target, others(isPath ? paths : ids));
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
