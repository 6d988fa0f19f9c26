/**
 * `group`: a local group, through groupadd, groupmod and groupdel.
 *
 * Behaviour, decided here:
 * - Read from /etc/group (local groups only), once per batch.
 * - `gid` is managed only when given; `system` applies when the group is
 *   created (an existing group is not moved between ranges).
 * - Members are managed by the `user` kind (`groups:`), not here.
 * - `state: absent` deletes the group; groupdel refuses a group that is some
 *   user's primary group, and the resource fails with its message, in the
 *   plan already when the run does not manage that user. It runs after the
 *   users the run removes.
 * - Rollback deletes a group the run created, gives back the old gid, or adds
 *   back a group the run deleted, with its gid and those of its members that
 *   exist (gpasswd --members). A group that existed is never deleted.
 *
 * @module
 */
import type { GroupSpec } from "./group_schema.ts";
export type { GroupSpec };
import type { Executor } from "../src/exec/executor.ts";
import { type GroupEntry, readGroup, readPasswd } from "../src/facts/passwd.ts";
import { notAccountRecord, restoreAccount, runAccountTool } from "./_accounts.ts";
import { applyEach, type Change, type Outcome, type ResourceKind } from "./resource.ts";
import type { GroupBefore } from "./snapshot.ts";

/** What `read` found: the group's entry, or `null`. */
export interface GroupState {
  entry: GroupEntry | null;
  /** The group that has the gid the spec asks for, when the run does not manage it. */
  gidHolder?: string;
  /** A user whose primary group it is, which the run does not manage (groupdel refuses then). */
  primaryOf?: string;
}

function diffOne(spec: GroupSpec, current: GroupState): Change[] {
  const { entry, gidHolder } = current;
  if (spec.state === "absent") {
    if (!entry) return [];
    const user = current.primaryOf;
    return [{
      field: "state",
      before: "present",
      after: "absent",
      ...(user
        ? {
          note:
            `group "${spec.name}" is the primary group of user "${user}": groupdel refuses it (remove the user or give it another group first)`,
          blocked: true,
        }
        : {}),
    }];
  }
  const taken = gidHolder
    ? { note: `gid ${spec.gid} is taken by group "${gidHolder}"`, blocked: true }
    : {};
  if (!entry) return [{ field: "state", before: "absent", after: "present", ...taken }];
  return spec.gid !== undefined && spec.gid !== entry.gid
    ? [{ field: "gid", before: entry.gid, after: spec.gid, ...taken }]
    : [];
}

/** The group other than `spec`'s, and not managed in the run, that has the gid `spec` asks for. */
function gidHolder(
  spec: GroupSpec,
  groups: GroupEntry[],
  claims: ReadonlyMap<string, string>,
): string | undefined {
  if (spec.state === "absent" || spec.gid === undefined) return undefined;
  const holder = groups.find((g) => g.gid === spec.gid && g.name !== spec.name);
  return holder && !claims.has(`group:${holder.name}`) ? holder.name : undefined;
}

/** The argv that makes `changes` for `spec`. */
export function groupArgv(spec: GroupSpec, changes: Change[]): string[] {
  const gid = spec.gid === undefined ? [] : ["--gid", String(spec.gid)];
  if (spec.state === "absent") return ["groupdel", "--", spec.name];
  if (changes.some((c) => c.field === "state")) {
    return ["groupadd", ...(spec.system ? ["--system"] : []), ...gid, "--", spec.name];
  }
  return ["groupmod", ...gid, "--", spec.name];
}

function snapshotOne(spec: GroupSpec, { entry }: GroupState): GroupBefore {
  return entry
    ? { type: "group", name: spec.name, existed: true, gid: entry.gid, members: entry.members }
    : { type: "group", name: spec.name, existed: false };
}

/**
 * The commands that put `before` back, given the group now and the users
 * that exist now (a deleted group's members come back with it, those of them
 * that exist; gpasswd(1) `--members`); none when it is as recorded.
 */
export function groupRestoreArgv(
  before: GroupBefore,
  now: GroupEntry | null,
  users: ReadonlySet<string>,
): string[][] {
  const { name } = before;
  if (!before.existed) return now ? [["groupdel", "--", name]] : [];
  if (now) {
    return now.gid === before.gid ? [] : [["groupmod", "--gid", String(before.gid), "--", name]];
  }
  const members = (before.members ?? []).filter((m) => users.has(m));
  return [
    ["groupadd", "--gid", String(before.gid), "--", name],
    ...(members.length ? [["gpasswd", "--members", members.join(","), "--", name]] : []),
  ];
}

/** The `group` resource kind. */
export const group: ResourceKind<GroupSpec, GroupState> = {
  name: "group",
  id: (spec) => `group[${spec.name}]`,
  check: () => [],
  claims: (spec) => [`group:${spec.name}`, ...(spec.gid === undefined ? [] : [`gid:${spec.gid}`])],
  read(specs, probe, ctx) {
    const all = readGroup(probe);
    const groups = new Map(all.map((g) => [g.name, g]));
    const users = specs.some((spec) => spec.state === "absent") ? readPasswd(probe) : [];
    return Promise.resolve(specs.map((spec) => {
      const entry = groups.get(spec.name) ?? null;
      const holder = gidHolder(spec, all, ctx.claims);
      const primaryOf = spec.state === "absent" && entry
        ? users.find((u) => u.gid === entry.gid && !ctx.claims.has(`user:${u.name}`))?.name
        : undefined;
      return {
        entry,
        ...(holder ? { gidHolder: holder } : {}),
        ...(primaryOf ? { primaryOf } : {}),
      };
    }));
  },
  diff: diffOne,
  apply: (items, exec: Executor) =>
    applyEach(
      items,
      (spec, changes): Promise<Outcome> => runAccountTool(exec, groupArgv(spec, changes)),
    ),
  snapshot: (spec, current) => Promise.resolve(snapshotOne(spec, current)),
  restore(before, exec) {
    if (before.type !== "group") return notAccountRecord(before, "group");
    const now = readGroup(exec).find((g) => g.name === before.name) ?? null;
    const users = new Set(readPasswd(exec).map((u) => u.name));
    return restoreAccount(exec, groupRestoreArgv(before, now, users));
  },
};
