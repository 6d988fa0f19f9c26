/**
 * Putting a path back as a snapshot recorded it: for the kinds that manage
 * paths (file, directory, link, and the files cron and apt_repository write),
 * under the parent resolved and checked as apply does (./_path_safety.ts).
 *
 * @module
 */
import type { Executor, Probe } from "../src/exec/executor.ts";
import { errorMessage, type Outcome } from "./resource.ts";
import type { Before, SnapshotStore } from "./snapshot.ts";
import { chaser, resolveManaged } from "./_path_safety.ts";

/** A recorded owner or group back to its id: by name, else the number recorded. */
function idOf(name: string, lookup: (name: string) => number | null): number | null {
  return lookup(name) ?? (/^\d+$/.test(name) ? Number(name) : null);
}

function ownership(before: { owner: string; group: string }, probe: Probe) {
  const uid = idOf(before.owner, (n) => probe.uid(n));
  const gid = idOf(before.group, (n) => probe.gid(n));
  if (uid === null) return { error: `user "${before.owner}" no longer exists` };
  if (gid === null) return { error: `group "${before.group}" no longer exists` };
  return { uid, gid };
}

/** Removes what is at `path` now (a file, a link or an empty directory). */
function removePath(path: string, exec: Executor): Outcome {
  const info = exec.stat(path);
  if (!info) return { ok: true };
  try {
    exec.remove(path);
  } catch (error) {
    return { ok: false, error: `cannot remove "${path}": ${errorMessage(error)}` };
  }
  return { ok: true };
}

/** Points `path` at `target` again, replacing an empty directory or a file put there. */
function putLink(target: string, path: string, exec: Executor): Outcome {
  try {
    if (exec.stat(path)?.kind === "directory") exec.remove(path);
    exec.symlink(target, path);
  } catch (error) {
    return { ok: false, error: `cannot restore link "${path}": ${errorMessage(error)}` };
  }
  return { ok: true };
}

/**
 * Puts `before` (a file, directory or link record, or several) back at its
 * path: content, owner, group and mode; or removes the path when nothing was
 * there. With several, every one is tried and the first failure is returned.
 */
export function restorePath(
  before: Before,
  exec: Executor,
  store: SnapshotStore,
): Promise<Outcome> {
  return Promise.resolve(putBack(before, exec, store));
}

function putBack(before: Before, exec: Executor, store: SnapshotStore): Outcome {
  if (before.type === "paths") {
    const failed = before.paths.map((one) => putBack(one, exec, store)).find((o) => !o.ok);
    return failed ?? { ok: true };
  }
  if (before.type !== "link" && before.type !== "file" && before.type !== "directory") {
    return { ok: false, error: `a ${before.type} record is not a path` };
  }
  // Checked like apply: the parent may have become another user's link since.
  const resolved = resolveManaged(before.path, chaser(exec));
  if ("error" in resolved) return { ok: false, error: resolved.error };
  const path = resolved.path;
  if (before.type === "link") {
    if (before.target === null) return removePath(path, exec);
    return putLink(before.target, path, exec);
  }
  if (before.state === "absent") return removePath(path, exec);
  const owner = ownership(before, exec);
  if ("error" in owner) {
    return { ok: false, error: `cannot restore "${before.path}": ${owner.error}` };
  }
  const mode = parseInt(before.mode, 8);
  const now = exec.stat(path);
  try {
    if (before.type === "directory") {
      if (now && now.kind !== "directory") exec.remove(path);
      if (!now || now.kind !== "directory") exec.mkdir(path, { mode, ...owner });
      exec.chmod(path, mode);
      exec.chown(path, owner.uid, owner.gid);
      return { ok: true };
    }
    const data = before.sha256 ? store.content(before.sha256) : null;
    if (!data) return { ok: false, error: `the snapshot of "${before.path}" lost its content` };
    if (now && now.kind === "directory") exec.remove(path);
    exec.writeFile(path, data, { mode, ...owner });
  } catch (error) {
    return { ok: false, error: `cannot restore "${before.path}": ${errorMessage(error)}` };
  }
  return { ok: true };
}
