/**
 * `directory`: a directory with owner, group and mode; parents are created.
 *
 * Behaviour, decided here:
 * - Only `present` exists: cm never removes directories.
 * - `owner`, `group` and `mode` are managed only when given; a new directory
 *   without `mode` gets 0755 (less the umask), owned by the user cm runs as.
 * - Missing parents are created with 0755 and the process's owner: the spec's
 *   mode and owner apply to the directory itself only (a 0700 leaf must not
 *   make its parents untraversable).
 * - Anything else at the path (a file, a symbolic link, even one pointing at a
 *   directory) is a failure naming it: cm does not follow or replace it.
 *
 * @module
 */
import type { DirectorySpec } from "./directory_schema.ts";
export type { DirectorySpec };
import type { Executor, PathInfo, Probe } from "../src/exec/executor.ts";
import { dirname } from "node:path";
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

/** What `read` found for one directory. */
export interface DirectoryState extends OwnedState {
  /** What is at the path (lstat), or `null` when nothing is. */
  kind: PathInfo["kind"] | null;
  /** Why the path could not be looked at. */
  error?: string;
}

function readOne(spec: DirectorySpec, probe: Probe, accounts: AccountCache): DirectoryState {
  let info: PathInfo | null;
  try {
    info = probe.stat(spec.path);
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
    return [{ field: "state", before: null, after: "present", note: current.error }];
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
  const info = exec.stat(spec.path);
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
    for (const parent of missingParents(spec.path, exec)) exec.mkdir(parent, {});
    exec.mkdir(spec.path, want);
    return { ok: true };
  }
  applyOwnership(spec.path, new Set(changes.map((c) => c.field)), want, info, exec);
  return { ok: true };
}

/** The `directory` resource kind. */
export const directory: ResourceKind<DirectorySpec, DirectoryState> = {
  name: "directory",
  id: (spec) => `directory[${spec.path}]`,
  claims: (spec) => [`path:${spec.path}`],
  read(specs, probe) {
    const accounts = new AccountCache(probe);
    return Promise.resolve(specs.map((spec) => readOne(spec, probe, accounts)));
  },
  diff: diffOne,
  apply: (items, exec) => applyEach(items, (spec, changes) => applyOne(spec, changes, exec)),
};
