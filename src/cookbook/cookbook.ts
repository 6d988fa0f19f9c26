/**
 * What a loaded cookbook is: resources with ids and positions, in declared
 * order. (Loading lives in load.ts; this module needs no YAML parser.)
 *
 * @module
 */
import { KIND_NAMES, kindOf } from "../../resources/mod.ts";
import type { Position, Problem } from "../errors.ts";
import { inputFailure, inputSize, MAX_COOKBOOK_BYTES, MAX_SOURCE_BYTES } from "../exec/input.ts";
import { normalize } from "../posix_path.ts";

/** What a loading stage gives: its result, and the problems found on the way. */
export interface Staged<T> {
  /** What the stage made: usable as far as the problems allow. */
  value: T;
  /** Cookbook problems found, in no particular order. */
  problems: Problem[];
}

/** One resource of a loaded cookbook: plain data (its kind by name). */
export interface Resource {
  /** The kind's name in the registry (`resources/mod.ts`): "file", "package", ... */
  kind: string;
  /** `file[/etc/nginx/nginx.conf]` */
  id: string;
  /** The fields as validated (defaults filled in), `source`/`template` resolved. */
  // deno-lint-ignore no-explicit-any
  spec: any;
  /** Where it was written. */
  at: Position;
  /**
   * The cookbook asked for (absolute path) that declares it or includes the
   * one that does: what an ad hoc apply of other cookbooks leaves alone.
   */
  root?: string;
  /** YAML path, e.g. `configure.files[0]`. */
  path: string;
  /** Its section's index in the registry's `SECTIONS`, which is the run order. */
  section: number;
  /** Why it is not applied: its `when:` was false (`when: facts.os.id == "ubuntu" is false`). */
  skip?: string;
}

/** Cookbooks loaded together: every file read and their resources in declared order. */
export interface Cookbook {
  /** The last cookbook's `name`, else its path. */
  name: string;
  /** The last cookbook's `version`, as text. */
  version?: string;
  /** The last cookbook's `description`. */
  description?: string;
  /** Every cookbook file read, includes first. */
  files: string[];
  /** Every resource, in declared order (includes first); the engine sorts them for running. */
  resources: Resource[];
  /**
   * Every cookbook's `health:` checks, includes first, as validated (defaults
   * filled in): `HealthCheck`s of src/cookbook/health_schema.ts, plain data like `spec`.
   */
  // deno-lint-ignore no-explicit-any
  health: any[];
  /** The last cookbook's `rollback:`; left out, rollback is automatic when there are checks. */
  rollback?: "auto" | "off";
  /**
   * The node's vars file's text and number values of 8 characters or more
   * (load.ts: MIN_SECRET_LENGTH), with their lines and JSON-escaped forms:
   * shown as `***` wherever a run's results would print or record them.
   */
  secrets?: string[];
  /** What the result was made from: the cache of loaded cookbooks checks these. */
  inputs: CookbookInputs;
}

/** Everything a loaded cookbook depends on besides cm itself. */
export interface CookbookInputs {
  /** The cookbook paths asked for, as given. */
  requested: string[];
  /** Every file read: cookbooks, includes, templates, the node's vars file. */
  files: string[];
  /** The facts used, by name, with the values they had. */
  facts: Record<string, unknown>;
  /** The node's vars file (absolute) whose values override the cookbooks' vars, if any. */
  varsFile?: string;
}

/** What each resource claims (`path:/etc/x`, see `ResourceKind.claims`), by resource. */
export function claimsOf(resource: Resource): string[] {
  return kindOf(resource.kind).claims?.(resource.spec) ?? [];
}

/** Resolves a `requires` / `restart_on` entry to a resource id, or `undefined` when none matches. */
export type TargetResolver = (target: string) => string | undefined;

/**
 * The resolver for targets among `resources`: an id; a bare path, meaning the
 * resource that claims it (`path:/etc/x`: a file or a directory); else a bare
 * name completed with a kind's prefix (`nginx` → `package[nginx]`).
 */
export function targetResolver(resources: readonly Resource[]): TargetResolver {
  const ids = new Set(resources.map((r) => r.id));
  const claimed = new Map<string, string>();
  for (const r of resources) {
    for (const claim of claimsOf(r)) if (!claimed.has(claim)) claimed.set(claim, r.id);
  }
  return (target) => {
    if (ids.has(target)) return target;
    const owner = claimed.get(`path:${target}`);
    if (owner) return owner;
    return KIND_NAMES.map((kind) => `${kind}[${target}]`).find((id) => ids.has(id));
  };
}

/** `path` made absolute against `base` (the working directory) and normalised. */
export function absolute(path: string, base = Deno.cwd()): string {
  return normalize(path.startsWith("/") ? path : `${base}/${path}`);
}

/** The directory part of an absolute path. */
export function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** Finds the directory that bounds `source:` paths: the git work tree, else the cookbook's folder. */
export function repoRoot(file: string): string {
  for (let dir = dirOf(file);; dir = dirOf(dir)) {
    try {
      Deno.statSync(`${dir}/.git`);
      return dir;
    } catch { /* keep climbing */ }
    if (dir === "/") return dirOf(file);
  }
}

/** What each kind of repository file is called in messages, and the most cm reads of it. */
const REPO_FILES = {
  source: { what: "source file", maxBytes: MAX_SOURCE_BYTES },
  template: { what: "template", maxBytes: MAX_COOKBOOK_BYTES },
  include: { what: "included cookbook", maxBytes: MAX_COOKBOOK_BYTES },
  cookbook: { what: "cookbook", maxBytes: MAX_COOKBOOK_BYTES },
  key: { what: "key file", maxBytes: MAX_COOKBOOK_BYTES },
} as const;

/**
 * Resolves a `source`, `template`, `include` or `key` path as written in `cookbook`:
 * it must name a regular file inside the cookbook's repository (links
 * resolved, see {@link repoRoot}) no larger than cm reads of its kind.
 */
export function repoFile(
  cookbook: string,
  field: keyof typeof REPO_FILES,
  written: string,
): { path: string } | { error: string } {
  return fileInside(repoRoot(cookbook), field, written, dirOf(cookbook));
}

/**
 * Resolves `written` (relative to `base`, by default `root`) to the real path
 * of a regular file inside `root`, links resolved, no larger than cm reads of
 * a `field`; else the reason, without reading anything outside `root`.
 */
export function fileInside(
  root: string,
  field: keyof typeof REPO_FILES,
  written: string,
  base = root,
): { path: string } | { error: string } {
  const wanted = absolute(written, base);
  const outside = (resolved?: string) => ({
    error: `expected a file inside the cookbook repository ${root}, got "${written}"${
      resolved ? ` (a link to ${resolved})` : ""
    }`,
  });
  if (!within(root, wanted)) return outside();
  const { what, maxBytes } = REPO_FILES[field];
  let real: string;
  let realRoot: string;
  try {
    realRoot = Deno.realPathSync(root);
    real = Deno.realPathSync(wanted);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
      return { error: inputFailure(wanted, error) };
    }
    return { error: `${what} "${written}" not found (looked for ${wanted})` };
  }
  if (!within(realRoot, real)) return outside(real);
  const size = inputSize(real, maxBytes);
  return typeof size === "number" ? { path: real } : size;
}

function within(root: string, path: string): boolean {
  return path === root || path.startsWith(`${root === "/" ? "" : root}/`);
}

/**
 * The ids of the resources whose spec holds a value of the node's vars file
 * (`cookbook.secrets`): as for `sensitive` ones, the state and the run
 * reports keep no hash of their spec or content (a weak secret could be
 * guessed from one offline); so no drift is marked on them either. Found
 * once per cookbook (the run and its drift marks both ask): every spec is
 * serialised to look.
 */
export function secretHolders(cookbook: Cookbook): ReadonlySet<string> {
  const secrets = cookbook.secrets ?? [];
  if (!secrets.length) return new Set();
  let found = holdersFound.get(cookbook);
  if (!found) {
    const holds = (r: Resource) => {
      const text = JSON.stringify(r.spec);
      return secrets.some((secret) => text.includes(secret));
    };
    found = new Set(cookbook.resources.filter(holds).map((r) => r.id));
    holdersFound.set(cookbook, found);
  }
  return found;
}

/** {@link secretHolders} of each loaded cookbook, while it lives. */
const holdersFound = new WeakMap<Cookbook, ReadonlySet<string>>();
