/**
 * `user`: a local user, through useradd, usermod and userdel.
 *
 * Behaviour, decided here:
 * - Read from /etc/passwd and /etc/group (local accounts only), once per
 *   batch. A user created here is known to later resources of the same run
 *   (the executor re-reads /etc/passwd when it changes), so it can own files.
 * - Fields are managed only when given. `system` and `create_home` apply when
 *   the user is created; `create_home` also moves the home directory's
 *   content when `home` changes, into a directory that is not there yet: an
 *   existing one is taken as it is (usermod would refuse the move after
 *   rewriting /etc/passwd).
 * - `groups` lists supplementary groups exactly; with `append: true` they are
 *   a minimum and other memberships stay.
 * - A new user without `group` gets a group of its own name; when that group
 *   exists already it becomes the primary group (useradd would refuse).
 * - `state: absent` deletes the user and keeps its home directory and files;
 *   userdel refuses a user with running processes, and the resource fails
 *   with its message. userdel takes the user's namesake primary group along
 *   unless the run declares that group (then it is kept, with its gid).
 * - A plan fails a primary or supplementary group nothing in the run makes,
 *   and a uid another user (not managed in the run) has.
 * - Rollback deletes a user the run created, with the home directory the run
 *   created for it (`userdel --remove`; a home that was there before the run
 *   stays) but not a namesake group that was there before the run; puts
 *   changed fields back with usermod (a moved home's content is not moved
 *   back), or adds back a user the run deleted. A user that existed is never
 *   deleted.
 *
 * @module
 */
import type { UserSpec } from "./user_schema.ts";
export type { UserSpec };
import type { Executor, Probe } from "../src/exec/executor.ts";
import { type GroupEntry, type PasswdEntry, readGroup, readPasswd } from "../src/facts/passwd.ts";
import { notAccountRecord, restoreAccount, runAccountTool } from "./_accounts.ts";
import { groupRestoreArgv } from "./group.ts";
import { AccountCache, kindName } from "./_ownership.ts";
import {
  applyEach,
  type Change,
  type Outcome,
  type ResourceKind,
  type SpecProblem,
} from "./resource.ts";
import type { SnapshotStore, UserBefore } from "./snapshot.ts";

/** What `read` found for one user. */
export interface UserState {
  entry: PasswdEntry | null;
  /** The primary group's name (its gid as text when it has no name). */
  group: string | null;
  /** Supplementary groups, sorted. */
  groups: string[];
  /** The group named like the user, when there is one. */
  namesake?: GroupEntry;
  /** Why a field cannot be made as asked (a group that will not exist, a uid taken), by field. */
  problems?: Record<string, string>;
  /** What a change of `field` meets at the home directory to be made: it is there already. */
  homeNote?: { field: string; note: string };
}

/** Rules beyond the schema: append only says something about groups. */
export function checkUser(spec: UserSpec): SpecProblem[] {
  return spec.append && spec.groups === undefined
    ? [{ field: "append", message: "expected groups: with append: true" }]
    : [];
}

const sorted = (names: Iterable<string>) => [...new Set(names)].sort();

/** The supplementary groups the spec wants, given the current ones. */
function wantedGroups(spec: UserSpec, current: string[]): string[] {
  return sorted(spec.append ? [...current, ...spec.groups!] : spec.groups!);
}

/** A change blocked by the reason read found for its field (for a new user: by any reason). */
function withProblem(change: Change, problems: Record<string, string> = {}): Change {
  const note = change.field === "state" ? Object.values(problems)[0] : problems[change.field];
  return note ? { ...change, note, blocked: true } : change;
}

function diffOne(spec: UserSpec, current: UserState): Change[] {
  const { entry } = current;
  if (spec.state === "absent") {
    return entry ? [{ field: "state", before: "present", after: "absent" }] : [];
  }
  const { homeNote } = current;
  return diffPresent(spec, current).map((c) => {
    const change = withProblem(c, current.problems);
    return !change.blocked && change.field === homeNote?.field
      ? { ...change, note: homeNote.note }
      : change;
  });
}

function diffPresent(spec: UserSpec, current: UserState): Change[] {
  const { entry } = current;
  if (!entry) return [{ field: "state", before: "absent", after: "present" }];
  const changes: Change[] = [];
  const compare = (field: string, before: unknown, after: unknown) => {
    if (after !== undefined && before !== after) changes.push({ field, before, after });
  };
  compare("uid", entry.uid, spec.uid);
  compare("group", current.group, spec.group);
  if (spec.groups !== undefined) {
    const want = wantedGroups(spec, current.groups);
    if (want.join(",") !== current.groups.join(",")) {
      changes.push({ field: "groups", before: current.groups, after: want });
    }
  }
  compare("home", entry.home, spec.home);
  compare("shell", entry.shell, spec.shell);
  compare("comment", entry.gecos, spec.comment);
  return changes;
}

/** Options shared by useradd and usermod for the given fields. */
function fieldOptions(spec: UserSpec, fields: ReadonlySet<string>, groups: string[]): string[] {
  const given = (field: string, value: unknown) => fields.has(field) && value !== undefined;
  return [
    ...(given("uid", spec.uid) ? ["--uid", String(spec.uid)] : []),
    ...(given("group", spec.group) ? ["--gid", spec.group!] : []),
    ...(given("groups", spec.groups) ? ["--groups", groups.join(",")] : []),
    ...(given("shell", spec.shell) ? ["--shell", spec.shell!] : []),
    ...(given("comment", spec.comment) ? ["--comment", spec.comment!] : []),
  ];
}

/** What the argv for a user depends on besides the spec and its changes. */
export interface UserMachine {
  /** Something is at the new home's path already. */
  homeTaken?: boolean;
  /** A group named like the user exists. */
  namesakeGroup?: boolean;
}

/**
 * The argv that makes `changes` for `spec`, given the current supplementary
 * groups and the machine. A new user without `group` whose namesake group
 * exists gets it as its primary group: useradd would refuse to make it.
 */
export function userArgv(
  spec: UserSpec,
  changes: Change[],
  current: string[],
  { homeTaken = false, namesakeGroup = false }: UserMachine = {},
): string[] {
  if (spec.state === "absent") return ["userdel", "--", spec.name];
  const createHome = spec.create_home ?? !spec.system;
  if (changes.some((c) => c.field === "state")) {
    const all = new Set(["uid", "group", "groups", "shell", "comment"]);
    const group = spec.group ?? (namesakeGroup ? spec.name : undefined);
    return [
      "useradd",
      ...(spec.system ? ["--system"] : []),
      ...fieldOptions({ ...spec, group }, all, spec.groups ?? []),
      ...(spec.home === undefined ? [] : ["--home-dir", spec.home]),
      createHome ? "--create-home" : "--no-create-home",
      "--",
      spec.name,
    ];
  }
  const fields = new Set(changes.map((c) => c.field));
  // usermod --append --groups adds; plain --groups replaces the whole list.
  const groups = spec.append
    ? wantedGroups(spec, []).filter((g) => !current.includes(g))
    : wantedGroups(spec, current);
  return [
    "usermod",
    ...(fields.has("groups") && spec.append ? ["--append"] : []),
    ...fieldOptions(spec, fields, groups),
    ...(fields.has("home")
      ? ["--home", spec.home!, ...(createHome && !homeTaken ? ["--move-home"] : [])]
      : []),
    "--",
    spec.name,
  ];
}

/** The users named in `names` as they are on the machine, in order. */
function readUsers(names: string[], probe: Probe): UserState[] {
  const users = new Map(readPasswd(probe).map((u) => [u.name, u]));
  const groups = readGroup(probe);
  return names.map((name) => {
    const entry = users.get(name) ?? null;
    const namesake = groups.find((g) => g.name === name);
    return {
      entry,
      group: entry && (groups.find((g) => g.gid === entry.gid)?.name ?? String(entry.gid)),
      groups: sorted(groups.filter((g) => g.members.includes(name)).map((g) => g.name)),
      ...(namesake ? { namesake } : {}),
    };
  });
}

/**
 * Why `spec` cannot be made as asked, by field: a primary or supplementary
 * group that does not exist and that nothing in the run can make, a uid
 * another user has that the run does not manage.
 */
function userProblems(
  spec: UserSpec,
  machine: { users: PasswdEntry[]; groups: ReadonlySet<string> },
  accounts: AccountCache,
  claims: ReadonlyMap<string, string>,
): Record<string, string> {
  const problems: Record<string, string> = {};
  const missing = (name: string) =>
    !machine.groups.has(name) && accounts.never("group", name, spec.name);
  const group = spec.group !== undefined && missing(spec.group);
  if (group) problems.group = group;
  const other = (spec.groups ?? []).map(missing).find((why) => why);
  if (other) problems.groups = other;
  const holder = machine.users.find((u) => u.uid === spec.uid && u.name !== spec.name);
  if (holder && !claims.has(`user:${holder.name}`)) {
    problems.uid = `uid ${spec.uid} is taken by user "${holder.name}"`;
  }
  return problems;
}

/**
 * What is at the home directory useradd or usermod is to make (a new user's,
 * or a home moved with create_home): a directory is taken as it is, owner and
 * content (a note); a file or a special file is a problem (useradd would
 * take it as the home too, with a warning).
 */
function homeFound(
  spec: UserSpec,
  { entry }: UserState,
  probe: Probe,
): { field: string; note?: string; problem?: string } | undefined {
  if (!(spec.create_home ?? !spec.system)) return undefined;
  const path = entry
    ? (spec.home !== undefined && spec.home !== entry.home ? spec.home : undefined)
    : spec.home ?? `${HOME_BASE}/${spec.name}`;
  const info = path === undefined ? null : probe.stat(path);
  if (!info) return undefined;
  const field = entry ? "home" : "state";
  if (info.kind === "file" || info.kind === "other") {
    return { field, problem: `a ${kindName(info.kind)} is in the way of home "${path}"` };
  }
  return {
    field,
    note: `home "${path}" is there already (owner ${
      probe.userName(info.uid)
    }): taken as it is, nothing copied into it`,
  };
}

/** Where useradd puts a home when none is given: HOME of /etc/default/useradd, /home on Debian (useradd(8)). */
const HOME_BASE = "/home";

/**
 * What the user is before the run: its fields, or, for a user the run will
 * create, the home directory useradd will make when nothing is there yet.
 */
async function snapshotUser(
  spec: UserSpec,
  { entry, group, groups, namesake }: UserState,
  store: SnapshotStore,
): Promise<UserBefore> {
  const { name } = spec;
  if (!entry) {
    const home = spec.home ?? `${HOME_BASE}/${name}`;
    const before = await store.capture(home);
    const absent = "state" in before && before.state === "absent";
    return {
      type: "user",
      name,
      existed: false,
      ...(absent ? { newHome: home } : {}),
      ...(namesake ? { namesakeGroup: { gid: namesake.gid, members: namesake.members } } : {}),
    };
  }
  const { uid, gid, home, shell, gecos: comment } = entry;
  return {
    type: "user",
    name,
    existed: true,
    uid,
    group: group!,
    gid,
    groups,
    home,
    shell,
    comment,
  };
}

/** What a user's restore needs to know of the machine besides the user itself. */
export interface RestoreContext {
  /** Its home is a directory now (lstat). */
  homeIsDirectory?: boolean;
  /** Its recorded primary group exists now. */
  groupExists?: boolean;
}

/**
 * The commands that put `before` back, given the user now; none when it is
 * as recorded. A user the run deleted comes back with its primary group when
 * userdel took that along (Debian's USERGROUPS_ENAB, login.defs(5)).
 */
export function userRestoreArgv(
  before: UserBefore,
  now: UserState,
  machine: RestoreContext = {},
): string[][] {
  const { name } = before;
  if (!before.existed) {
    if (!now.entry) return [];
    const made = machine.homeIsDirectory && before.newHome === now.entry.home;
    return [["userdel", ...(made ? ["--remove"] : []), "--", name]];
  }
  const { entry } = now;
  const fields: [string, string, boolean][] = [
    ["--uid", String(before.uid), entry?.uid === before.uid],
    ["--gid", before.group, now.group === before.group],
    ["--groups", before.groups.join(","), now.groups.join(",") === before.groups.join(",")],
    [entry ? "--home" : "--home-dir", before.home, entry?.home === before.home],
    ["--shell", before.shell, entry?.shell === before.shell],
    ["--comment", before.comment, entry?.gecos === before.comment],
  ];
  if (!entry) {
    const given = fields.filter(([flag, value]) => flag !== "--groups" || value !== "");
    const useradd = [
      "useradd",
      ...given.flatMap(([f, v]) => [f, v]),
      "--no-create-home",
      "--",
      name,
    ];
    const lost = !machine.groupExists && before.gid !== undefined &&
      before.group !== String(before.gid);
    return lost
      ? [["groupadd", "--gid", String(before.gid), "--", before.group], useradd]
      : [useradd];
  }
  const changed = fields.filter(([, , same]) => !same).flatMap(([flag, value]) => [flag, value]);
  return changed.length ? [["usermod", ...changed, "--", name]] : [];
}

/**
 * Adds `group` back under `name` (with its gid and those of its members that
 * exist) when it is gone: userdel takes a user's namesake primary group along
 * (USERGROUPS_ENAB, login.defs(5)), with no option to keep it.
 */
function keepNamesake(
  name: string,
  { gid, members }: { gid: number; members: string[] },
  exec: Executor,
): Promise<Outcome> {
  return restoreAccount(
    exec,
    groupRestoreArgv(
      { type: "group", name, existed: true, gid, members },
      readGroup(exec).find((g) => g.name === name) ?? null,
      new Set(readPasswd(exec).map((u) => u.name)),
    ),
  );
}

/**
 * Deletes a user; its namesake group stays when the run declares that group
 * (a `group` resource, which ran before: without this the next run would
 * add it back and call that drift).
 */
async function deleteUser(
  spec: UserSpec,
  exec: Executor,
  claims: ReadonlyMap<string, string>,
): Promise<Outcome> {
  const namesake = readGroup(exec).find((g) => g.name === spec.name);
  const outcome = await runAccountTool(exec, userArgv(spec, [], []));
  if (!outcome.ok || !namesake || claims.get(`group:${spec.name}`) !== "group") return outcome;
  return keepNamesake(spec.name, namesake, exec);
}

/** The `user` resource kind. */
export const user: ResourceKind<UserSpec, UserState> = {
  name: "user",
  id: (spec) => `user[${spec.name}]`,
  check: checkUser,
  claims: (spec) => [`user:${spec.name}`, ...(spec.uid === undefined ? [] : [`uid:${spec.uid}`])],
  read(specs, probe, ctx) {
    const states = readUsers(specs.map((spec) => spec.name), probe);
    const machine = {
      users: readPasswd(probe),
      groups: new Set(readGroup(probe).map((g) => g.name)),
    };
    const accounts = new AccountCache(probe, ctx);
    return Promise.resolve(specs.map((spec, i): UserState => {
      if (spec.state === "absent") return states[i];
      const problems = userProblems(spec, machine, accounts, ctx.claims);
      const home = homeFound(spec, states[i], probe);
      if (home?.problem) problems[home.field] ??= home.problem;
      return {
        ...states[i],
        ...(Object.keys(problems).length ? { problems } : {}),
        ...(home?.note ? { homeNote: { field: home.field, note: home.note } } : {}),
      };
    }));
  },
  diff: diffOne,
  apply: (items, exec: Executor, ctx) =>
    applyEach(items, (spec, changes) => {
      if (spec.state === "absent") return deleteUser(spec, exec, ctx.claims);
      // useradd and usermod take any existing path as the home: a file there would be one.
      const home = homeFound(spec, readUsers([spec.name], exec)[0], exec);
      if (home?.problem) return { ok: false, error: home.problem };
      const before = changes.find((c) => c.field === "groups")?.before as string[] | undefined;
      const homeTaken = spec.home !== undefined && exec.stat(spec.home) !== null;
      const namesakeGroup = readGroup(exec).some((g) => g.name === spec.name);
      return runAccountTool(
        exec,
        userArgv(spec, changes, before ?? [], { homeTaken, namesakeGroup }),
      );
    }),
  snapshot: snapshotUser,
  async restore(before, exec) {
    if (before.type !== "user") return notAccountRecord(before, "user");
    const now = readUsers([before.name], exec)[0];
    const outcome = await restoreAccount(
      exec,
      userRestoreArgv(before, now, {
        homeIsDirectory: !!now.entry && exec.stat(now.entry.home)?.kind === "directory",
        groupExists: before.existed && readGroup(exec).some((g) => g.name === before.group),
      }),
    );
    if (!outcome.ok || before.existed || !before.namesakeGroup) return outcome;
    return keepNamesake(before.name, before.namesakeGroup, exec);
  },
};
