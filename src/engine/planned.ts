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
import type { PlannedPath } from "../../resources/resource.ts";

/** A plan's view of the machine: the probe later resources read, and what to overlay on it. */
export interface PlannedPaths {
  /** `base` with every noted directory's planned mode, owner and group. */
  probe: Probe;
  /** Records what a resource whose changes the plan accepted will have made of its directory. */
  note(planned: PlannedPath): void;
}

/**
 * A {@link PlannedPaths} over `base`. An owner or group that does not exist
 * yet (an earlier user resource makes it) is given an id of its own below 0,
 * named as the cookbook names it: never root, never anyone else.
 */
export function plannedPaths(base: Probe): PlannedPaths {
  const overlay = new Map<string, Partial<PathInfo>>();
  const unknown = { users: new Map<number, string>(), groups: new Map<number, string>() };
  let nextId = -1;
  const idOf = (name: string, known: number | null, names: Map<number, string>) => {
    if (known !== null) return known;
    const id = [...names].find(([, n]) => n === name)?.[0] ?? nextId--;
    names.set(id, name);
    return id;
  };
  const probe = probeWith(base, {
    stat(path) {
      const info = base.stat(path);
      const planned = overlay.get(path);
      return info && planned ? { ...info, ...planned } : info;
    },
    userName: (uid) => unknown.users.get(uid) ?? base.userName(uid),
    groupName: (gid) => unknown.groups.get(gid) ?? base.groupName(gid),
  });
  return {
    probe,
    note({ path, owner, group, mode }) {
      if (base.stat(path)?.kind !== "directory") return;
      overlay.set(path, {
        ...overlay.get(path),
        ...(owner !== undefined ? { uid: idOf(owner, base.uid(owner), unknown.users) } : {}),
        ...(group !== undefined ? { gid: idOf(group, base.gid(group), unknown.groups) } : {}),
        ...(mode !== undefined ? { mode } : {}),
      });
    },
  };
}
