/**
 * `directory`: a directory with owner, group and mode; parents are created.
 *
 * Behaviour, decided here:
 * - `state: absent` removes the directory when it is empty; one that is not
 *   needs `force: true` (Puppet's `ensure => absent, force => true`), else the
 *   plan already fails, saying what it holds. The tree is removed through
 *   {@link Executor.removeTree}: links in it are removed, never followed; `/`
 *   and top-level directories are refused (the loader already says so). The
 *   snapshot keeps every file, link and directory of the tree, up to
 *   {@link TREE_SNAPSHOT_LIMIT}: past it only the directory itself is kept,
 *   and the plan says a rollback brings back only the empty directory; a socket,
 *   FIFO or device in it is removed but not kept, and the plan names it. A
 *   file, link or anything else at the path is not removed: a failure naming it.
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
import { dirname, unremovableTree } from "../src/posix_path.ts";
import { type Tree, TREE_SNAPSHOT_LIMIT, treeSummary, walkTree } from "./_tree.ts";
import { formatSize } from "./_content_summary.ts";
import { type Chased, chaser, resolveManaged } from "./_path_safety.ts";
import {
  AccountCache,
  applyOwnership,
  inTheWay,
  kindName,
  type OwnedState,
  ownershipChanges,
  parseMode,
  readOwnership,
  resolveOwnership,
} from "./_ownership.ts";
import {
  applyEach,
  type Change,
  errorMessage,
  type Outcome,
  type PlannedPath,
  type ResourceKind,
  type SpecProblem,
} from "./resource.ts";
import { restorePath } from "./_restore_path.ts";
import type { Before, SnapshotStore } from "./snapshot.ts";

/** What `read` found for one directory. */
export interface DirectoryState extends OwnedState {
  /** What is at the path (lstat), or `null` when nothing is. */
  kind: PathInfo["kind"] | null;
  /** Why the path could not be looked at. */
  error?: string;
  /** `state: absent`: what the directory holds, read under its resolved path. */
  tree?: Tree;
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
    if (spec.state === "absent") {
      const tree = info?.kind === "directory" ? walkTree(resolved.path, probe) : undefined;
      return { kind: info?.kind ?? null, mode: 0, uid: 0, gid: 0, ...(tree ? { tree } : {}) };
    }
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

const REMOVES_ONLY = "state: absent of a directory removes only a directory";
const NEEDS_FORCE = "set force: true to remove it with everything in it";

/** The change `state: absent` makes: none, a removal, or one blocked by what is there. */
function absentChanges(spec: DirectorySpec, current: DirectoryState): Change[] {
  if (current.kind === null) return [];
  const change = { field: "state", before: "present", after: "absent" };
  if (current.kind !== "directory") {
    const found = kindName(current.kind);
    return [{
      ...change,
      before: found,
      note: `a ${found} is at the path: ${REMOVES_ONLY}`,
      blocked: true,
    }];
  }
  const tree = current.tree ?? { entries: [], directories: 0, bytes: 0 };
  if (!tree.entries.length) return [change];
  const held = treeSummary(tree);
  if (!spec.force) {
    return [{
      ...change,
      note: `force: "${spec.path}" holds ${held}: ${NEEDS_FORCE}`,
      blocked: true,
    }];
  }
  return [{ ...change, note: `removes ${held}${unkept(spec.path, tree)}` }];
}

/** What of `tree` a rollback will not bring back, as a note's tail ("" when it brings back all). */
function unkept(path: string, tree: Tree): string {
  if (tree.over) {
    return `; over the ${TREE_SNAPSHOT_LIMIT.entries.toLocaleString("en-US")} entries or ${
      formatSize(TREE_SNAPSHOT_LIMIT.bytes)
    } a snapshot keeps: a rollback brings back the empty directory only`;
  }
  const special = tree.special ?? [];
  if (!special.length) return "";
  const more = special.length > 1 ? ` and ${special.length - 1} more` : "";
  return `; a rollback does not bring back "${path}/${
    special[0]
  }"${more} (a socket, FIFO or device)`;
}

function diffOne(spec: DirectorySpec, current: DirectoryState): Change[] {
  if (current.error) {
    return [{
      field: "state",
      before: null,
      after: spec.state ?? "present",
      note: current.error,
      blocked: true,
    }];
  }
  if (spec.state === "absent") return absentChanges(spec, current);
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

/** `state: absent`: removes the directory, with what it holds only with `force`. */
function removeOne(
  spec: DirectorySpec,
  path: string,
  info: PathInfo | null,
  exec: Executor,
): Outcome {
  if (!info) return { ok: true };
  if (info.kind !== "directory") {
    return { ok: false, error: `"${spec.path}" is a ${kindName(info.kind)}: ${REMOVES_ONLY}` };
  }
  if (spec.force) exec.removeTree(path);
  else if (exec.listDir(path)?.length) {
    return { ok: false, error: `"${spec.path}" is not empty: ${NEEDS_FORCE}` };
  } else exec.remove(path);
  return { ok: true };
}

function applyOne(spec: DirectorySpec, changes: Change[], exec: Executor): Outcome {
  const resolved = resolveManaged(spec.path, chaser(exec));
  if ("error" in resolved) return { ok: false, error: resolved.error };
  const path = resolved.path;
  const info = exec.stat(path);
  if (spec.state === "absent") return removeOne(spec, path, info, exec);
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

/** What apply will have made of the directory, for a plan's later resources. */
function planned(spec: DirectorySpec, probe: Probe): PlannedPath | undefined {
  if (spec.state === "absent") return undefined;
  const resolved = resolveManaged(spec.path, chaser(probe));
  if ("error" in resolved) return undefined;
  const mode = spec.mode === undefined ? {} : { mode: parseMode(spec.mode) };
  return { path: resolved.path, owner: spec.owner, group: spec.group, ...mode };
}

/**
 * With `state: absent`: no owner, group or mode (nothing is left to own);
 * never `/` or a top-level directory. `force` only with `state: absent`.
 */
function check(spec: DirectorySpec): SpecProblem[] {
  if (spec.state !== "absent") {
    return spec.force
      ? [{ field: "force", message: "expected force: true only with state: absent" }]
      : [];
  }
  const given = (["owner", "group", "mode"] as const).find((k) => spec[k] !== undefined);
  if (given) {
    return [{
      field: given,
      message: `expected no ${given} with state: absent (the directory is removed)`,
      got: spec[given],
    }];
  }
  if (unremovableTree(spec.path)) {
    return [{
      field: "path",
      message: "expected a path below a top-level directory with state: absent",
      got: spec.path,
    }];
  }
  return [];
}

/** The snapshot before a change: with `state: absent`, the tree as well (see the module doc). */
async function snapshot(
  spec: DirectorySpec,
  current: DirectoryState,
  store: SnapshotStore,
): Promise<Before> {
  const top = await store.capture(spec.path);
  const tree = current?.tree;
  if (spec.state !== "absent" || !tree?.entries.length || tree.over) return top;
  const paths = [top];
  const special = new Set(tree.special);
  for (const entry of tree.entries) {
    if (!special.has(entry)) paths.push(await store.capture(`${spec.path}/${entry}`));
  }
  return { type: "paths", paths };
}

/** The `directory` resource kind. */
export const directory: ResourceKind<DirectorySpec, DirectoryState> = {
  name: "directory",
  id: (spec) => `directory[${spec.path}]`,
  check,
  claims: (spec) => [`path:${spec.path}`],
  read(specs, probe, ctx) {
    const accounts = new AccountCache(probe, ctx);
    const chase = chaser(probe);
    return Promise.resolve(specs.map((spec) => readOne(spec, probe, accounts, chase)));
  },
  diff: diffOne,
  planned,
  apply: (items, exec) => applyEach(items, (spec, changes) => applyOne(spec, changes, exec)),
  // Parents it created stay: only the directory itself (and a tree it removed) is put back or removed.
  snapshot,
  restore: (before, exec, store) => restorePath(before, exec, store),
};
