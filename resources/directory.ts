/**
 * `directory`: a directory with owner, group and mode; parents are created.
 *
 * Behaviour, decided here:
 * - Only `present` exists: cm never removes directories.
 * - `owner`, `group` and `mode` are managed only when given; a new directory
 *   without `mode` gets 0755 (less the umask), owned by the user cm runs as.
 * - Missing parents are created with 0755 (whatever the umask) and the
 *   process's owner: the spec's mode and owner apply to the directory itself
 *   only (a 0700 leaf, or an admin's umask 077, must not make its parents
 *   untraversable).
 * - Anything else at the path (a file, a symbolic link, even one pointing at a
 *   directory) is a failure naming it: cm does not follow or replace it.
 * - The parent is resolved once and checked by systemd's unsafe-path-transition
 *   rule (./_path_safety.ts), like a file's; a refused or dangling parent fails
 *   plan and apply alike, naming it. A plan judges the paths of later
 *   resources against the owner, group and mode given here (`planned`): a
 *   world-writable directory this resource narrows to 0755 is safe for them.
 *
 * @module
 */
import type { DirectorySpec } from "./directory_schema.ts";
export type { DirectorySpec };
import type { Executor, PathInfo, Probe } from "../src/exec/executor.ts";
import { dirname } from "../src/posix_path.ts";
import { type Chased, chaser, resolveManaged } from "./_path_safety.ts";
import {
  AccountCache,
  applyOwnership,
  inTheWay,
  kindName,
  type OwnedState,
  ownershipChanges,
  readOwnership,
  resolveOwnership,
} from "./_ownership.ts";
import {
  applyEach,
  type Change,
  errorMessage,
  type Outcome,
  type ResourceKind,
} from "./resource.ts";
import { restorePath } from "./_restore_path.ts";

/** What `read` found for one directory. */
export interface DirectoryState extends OwnedState {
  /** What is at the path (lstat), or `null` when nothing is. */
  kind: PathInfo["kind"] | null;
  /** Why the path could not be looked at. */
  error?: string;
}

function readOne(
  spec: DirectorySpec,
  probe: Probe,
  accounts: AccountCache,
  chase: (dir: string) => Chased,
): DirectoryState {
  let info: PathInfo | null;
  try {
    const resolved = resolveManaged(spec.path, chase);
    if ("error" in resolved) return { kind: null, mode: 0, uid: 0, gid: 0, error: resolved.error };
    info = probe.stat(resolved.path);
  } catch (error) {
    return { kind: null, mode: 0, uid: 0, gid: 0, error: errorMessage(error) };
  }
  return {
    kind: info?.kind ?? null,
    mode: info?.mode ?? 0,
    uid: info?.uid ?? 0,
    gid: info?.gid ?? 0,
    ...(info?.kind === "directory" || !info ? readOwnership(spec, info, accounts) : {}),
  };
}

function diffOne(spec: DirectorySpec, current: DirectoryState): Change[] {
  if (current.error) {
    return [{ field: "state", before: null, after: "present", note: current.error, blocked: true }];
  }
  if (current.kind !== null && current.kind !== "directory") {
    return [inTheWay(current.kind, "directory")];
  }
  const exists = current.kind === "directory";
  return [
    ...(exists ? [] : [{ field: "state", before: "absent", after: "present" }]),
    ...ownershipChanges(spec, current, exists),
  ];
}

/** The existing ancestors' missing descendants, outermost first: the parents to create. */
function missingParents(path: string, exec: Probe): string[] {
  const missing: string[] = [];
  for (let dir = dirname(path); dir !== "/"; dir = dirname(dir)) {
    const info = exec.stat(dir);
    if (info) break;
    missing.unshift(dir);
  }
  return missing;
}

function applyOne(spec: DirectorySpec, changes: Change[], exec: Executor): Outcome {
  const resolved = resolveManaged(spec.path, chaser(exec));
  if ("error" in resolved) return { ok: false, error: resolved.error };
  const path = resolved.path;
  const info = exec.stat(path);
  if (info && info.kind !== "directory") {
    return {
      ok: false,
      error: `"${spec.path}" is a ${
        kindName(info.kind)
      }, not a directory: remove it or change the path`,
    };
  }
  const want = resolveOwnership(spec, exec);
  if ("error" in want) return { ok: false, error: want.error };
  if (!info) {
    // 0755 exactly, whatever the umask: a 0700 parent would hide a 0755 leaf from others.
    for (const parent of missingParents(path, exec)) exec.mkdir(parent, { mode: 0o755 });
    exec.mkdir(path, want);
    return { ok: true };
  }
  applyOwnership(path, new Set(changes.map((c) => c.field)), want, info, exec);
  return { ok: true };
}

/** The `directory` resource kind. */
export const directory: ResourceKind<DirectorySpec, DirectoryState> = {
  name: "directory",
  id: (spec) => `directory[${spec.path}]`,
  claims: (spec) => [`path:${spec.path}`],
  read(specs, probe, ctx) {
    const accounts = new AccountCache(probe, ctx);
    const chase = chaser(probe);
    return Promise.resolve(specs.map((spec) => readOne(spec, probe, accounts, chase)));
  },
  diff: diffOne,
  planned: ({ path, owner, group, mode }) => ({ path, owner, group, mode }),
  apply: (items, exec) => applyEach(items, (spec, changes) => applyOne(spec, changes, exec)),
  // Parents it created stay: only the directory itself is put back or removed.
  snapshot: (spec, _current, store) => store.capture(spec.path),
  restore: (before, exec, store) => restorePath(before, exec, store),
};
