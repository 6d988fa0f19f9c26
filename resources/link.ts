/**
 * `link`: a symbolic link pointing at a target, repaired when it points
 * elsewhere.
 *
 * Behaviour, decided here:
 * - The target is compared as written (readlink), not resolved: `../a` and
 *   `/srv/a` are different targets. A target that does not exist is fine.
 * - A link is created or repointed atomically: a temporary link beside it is
 *   renamed over the path, so there is no moment without the link.
 * - A regular file or an empty directory at the path is replaced only with
 *   `force: true`; a directory with content, or a socket or device, never.
 * - `state: absent` removes a symbolic link and nothing else.
 * - The parent directory must exist, as for files, and is resolved and
 *   checked by the same unsafe-path-transition rule (./_path_safety.ts): a
 *   link in a directory another user controls must not replace or remove
 *   root's files elsewhere.
 * - Rollback puts back what was at the path: the old link, the file or
 *   directory `force` replaced, or nothing.
 *
 * @module
 */
import type { LinkSpec } from "./link_schema.ts";
export type { LinkSpec };
import type { Executor, PathInfo, Probe } from "../src/exec/executor.ts";
import { dirname } from "../src/posix_path.ts";
import { kindName } from "./_ownership.ts";
import { type Chased, chaser, resolveManaged } from "./_path_safety.ts";
import { restorePath } from "./_restore_path.ts";
import {
  applyEach,
  type Change,
  errorMessage,
  type Outcome,
  type ResourceKind,
  type SpecProblem,
} from "./resource.ts";

/** What `read` found at a link's path. */
export interface LinkState {
  /** What is at the path (lstat), or `null` when nothing is. */
  kind: PathInfo["kind"] | null;
  /** The current target when a symbolic link is there. */
  target: string | null;
  /** A directory at the path holds something (force replaces only an empty one). */
  full?: boolean;
  /** Why the path could not be looked at. */
  error?: string;
}

/** Rules beyond the schema: a target is needed to be present, and meaningless when absent. */
export function checkLink(spec: LinkSpec): SpecProblem[] {
  if (spec.state === "present" && spec.target === undefined) {
    return [{ field: "target", message: "expected a target for a link (or state: absent)" }];
  }
  if (spec.state === "absent" && spec.target !== undefined) {
    return [{
      field: "target",
      message: `expected no target with state: absent (the link is removed), got "${spec.target}"`,
    }];
  }
  return [];
}

function readOne(spec: LinkSpec, probe: Probe, chase: (dir: string) => Chased): LinkState {
  try {
    const resolved = resolveManaged(spec.path, chase);
    if ("error" in resolved) return { kind: null, target: null, error: resolved.error };
    const info = probe.stat(resolved.path);
    const full = info?.kind === "directory" && !!probe.listDir(resolved.path)?.length;
    return {
      kind: info?.kind ?? null,
      target: info?.kind === "symlink" ? probe.readLink(resolved.path) : null,
      ...(full ? { full } : {}),
    };
  } catch (error) {
    return {
      kind: null,
      target: null,
      error: `cannot read "${spec.path}": ${errorMessage(error)}`,
    };
  }
}

/** Whether `force` may replace what is at the path: a file or an empty directory. */
function replaceable(kind: PathInfo["kind"], full = false): boolean {
  return kind === "file" || (kind === "directory" && !full);
}

function diffOne(spec: LinkSpec, current: LinkState): Change[] {
  if (current.error) {
    return [{
      field: "target",
      before: null,
      after: spec.target ?? null,
      note: current.error,
      blocked: true,
    }];
  }
  const found = current.kind;
  if (spec.state === "absent") {
    if (found === null) return [];
    if (found === "symlink") return [{ field: "state", before: "present", after: "absent" }];
    return [{
      field: "state",
      before: kindName(found),
      after: "absent",
      note: `a ${kindName(found)} is at the path: state: absent removes only symbolic links`,
      blocked: true,
    }];
  }
  if (found === null) return [{ field: "target", before: null, after: spec.target }];
  if (found === "symlink") {
    return current.target === spec.target
      ? []
      : [{ field: "target", before: current.target, after: spec.target }];
  }
  if (spec.force && replaceable(found, current.full)) {
    return [{
      field: "target",
      before: kindName(found),
      after: spec.target,
      note: `force: the ${kindName(found)} is replaced by the link`,
    }];
  }
  return [{
    field: "target",
    before: kindName(found),
    after: spec.target,
    note: current.full
      ? "a directory that is not empty is in the way: cm will not replace it (force: true replaces only an empty one)"
      : `a ${kindName(found)} is in the way: cm will not replace it${
        replaceable(found) ? " (force: true replaces it)" : ""
      }`,
    blocked: true,
  }];
}

function applyOne(spec: LinkSpec, exec: Executor): Outcome {
  const fail = (error: string): Outcome => ({ ok: false, error });
  // Resolved again, now: what is checked is what is written.
  const resolved = resolveManaged(spec.path, chaser(exec));
  if ("error" in resolved) return fail(resolved.error);
  const path = resolved.path;
  const info = exec.stat(path);
  if (spec.state === "absent") {
    if (info && info.kind !== "symlink") {
      return fail(
        `"${spec.path}" is a ${kindName(info.kind)}: state: absent removes only symbolic links`,
      );
    }
    if (info) exec.remove(path);
    return { ok: true };
  }
  if (info && info.kind !== "symlink") {
    if (!spec.force || !replaceable(info.kind)) {
      return fail(
        `"${spec.path}" is a ${kindName(info.kind)}, not a symbolic link: ${
          replaceable(info.kind) ? "set force: true to replace it, or " : ""
        }remove it or change the path`,
      );
    }
    if (info.kind === "directory") {
      try {
        exec.remove(path);
      } catch (error) {
        return fail(
          `cannot replace directory "${spec.path}": ${
            errorMessage(error)
          } (only an empty directory is replaced)`,
        );
      }
    }
  }
  if (exec.stat(dirname(path))?.kind !== "directory") {
    return fail(
      `parent directory "${
        dirname(spec.path)
      }" does not exist: declare it under configure.directories`,
    );
  }
  exec.symlink(spec.target!, path);
  return { ok: true };
}

/** The `link` resource kind. */
export const link: ResourceKind<LinkSpec, LinkState> = {
  name: "link",
  id: (spec) => `link[${spec.path}]`,
  check: checkLink,
  claims: (spec) => [`path:${spec.path}`],
  read(specs, probe) {
    const chase = chaser(probe);
    return Promise.resolve(specs.map((spec) => readOne(spec, probe, chase)));
  },
  diff: diffOne,
  apply: (items, exec) => applyEach(items, (spec) => applyOne(spec, exec)),
  snapshot: (spec, _current, store) => store.capture(spec.path),
  restore: (before, exec, store) => restorePath(before, exec, store),
};
