/**
 * What a plan has planned so far, as later resources of the same plan see
 * it: a directory that an earlier resource will narrow to 0755 (or give to
 * root) is read with that mode and owner, so the path-safety check of a file
 * under it (resources/_path_safety.ts) judges the directory the apply will
 * meet, not the one there now. Only directories that exist now are
 * overlaid: a missing one stops the safety walk anyway.
 *
 * @module
 */
import type { PathInfo, Probe } from "../exec/executor.ts";
import { probeWith } from "../exec/plan_probe.ts";
import { chaseDirectory, resolveManaged } from "../../resources/_path_safety.ts";
import type { PlannedPath } from "../../resources/resource.ts";
import { parseMode } from "../../resources/_ownership.ts";

/** A plan's view of the machine: the probe later resources read, and what to overlay on it. */
export interface PlannedPaths {
  /** `base` with every noted directory's planned mode, owner and group. */
  probe: Probe;
  /** Records what a resource whose changes the plan accepted will have made of its path. */
  note(planned: PlannedPath): void;
}

/**
 * A {@link PlannedPaths} over `base`. An owner or group that does not exist
 * yet (an earlier user resource makes it) is given an id of its own below 0,
 * named as the cookbook names it: never root, never anyone else.
 */
export function plannedPaths(base: Probe): PlannedPaths {
  const overlay = new Map<string, Partial<PathInfo>>();
  const users = new Map<number, string>();
  const groups = new Map<number, string>();
  const idOf = (name: string, lookup: (n: string) => number | null, names: Map<number, string>) => {
    const known = lookup(name);
    if (known !== null) return known;
    const found = [...names].find(([, n]) => n === name);
    if (found) return found[0];
    const id = -1 - users.size - groups.size;
    names.set(id, name);
    return id;
  };
  const probe = probeWith(base, {
    stat(path) {
      const info = base.stat(path);
      const planned = overlay.get(path);
      return info && planned ? { ...info, ...planned } : info;
    },
    userName: (uid) => users.get(uid) ?? base.userName(uid),
    groupName: (gid) => groups.get(gid) ?? base.groupName(gid),
  });
  return {
    probe,
    note({ path, owner, group, mode }) {
      const resolved = resolveManaged(path, (dir) => chaseDirectory(dir, probe));
      if ("error" in resolved || probe.stat(resolved.path)?.kind !== "directory") return;
      const real = resolved.path;
      overlay.set(real, {
        ...overlay.get(real),
        ...(owner !== undefined ? { uid: idOf(owner, (n) => base.uid(n), users) } : {}),
        ...(group !== undefined ? { gid: idOf(group, (n) => base.gid(n), groups) } : {}),
        ...(mode !== undefined ? { mode: parseMode(mode) } : {}),
      });
    },
  };
}
