/**
 * What `file` and `directory` share: owner, group and mode (read, diffed,
 * resolved and applied), and what to say of something else in the way.
 *
 * @module
 */
import type { Executor, PathInfo, Probe } from "../src/exec/executor.ts";
import { type Change, type ResourceContext, sideEffectsSoFar } from "./resource.ts";
import { noSuchAccount } from "./_accounts.ts";

/** Turns a validated octal mode string into its number. */
export function parseMode(mode: string): number {
  return parseInt(mode, 8);
}

/** "0644": four octal digits. */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

/**
 * Name ↔ id lookups cached for one batch: the real probe re-checks
 * /etc/passwd on every call, too slow to do once per file over thousands.
 */
export class AccountCache {
  #uids = new Map<string, number | null>();
  #gids = new Map<string, number | null>();
  #users = new Map<number, string>();
  #groups = new Map<number, string>();
  constructor(private probe: Probe, private ctx?: ResourceContext) {}
  /**
   * Why an account that does not exist will not exist when it is needed
   * either (no resource of the run makes it, a user resource making a group of
   * its name included, unless that user is the `asker`; no package or
   * command changed before), with a near name: `user "wwwdata" does not exist: did you mean
   * "www-data"?`; `undefined` while something may still make it.
   */
  never(type: "user" | "group", name: string, asker?: string): string | undefined {
    const ctx = this.ctx;
    // A user resource makes a group of its own name too (useradd, USERGROUPS_ENAB), but
    // not for itself: a user that names its own group needs it before useradd.
    const makers = type === "group" && name !== asker
      ? [`group:${name}`, `user:${name}`]
      : [`${type}:${name}`];
    if (!ctx || makers.some((c) => ctx.claims.has(c)) || sideEffectsSoFar(ctx.changed)) {
      return undefined;
    }
    return noSuchAccount(type, name, this.probe);
  }
  uid(name: string): number | null {
    if (!this.#uids.has(name)) this.#uids.set(name, this.probe.uid(name));
    return this.#uids.get(name)!;
  }
  gid(name: string): number | null {
    if (!this.#gids.has(name)) this.#gids.set(name, this.probe.gid(name));
    return this.#gids.get(name)!;
  }
  userName(uid: number): string {
    if (!this.#users.has(uid)) this.#users.set(uid, this.probe.userName(uid));
    return this.#users.get(uid)!;
  }
  groupName(gid: number): string {
    if (!this.#groups.has(gid)) this.#groups.set(gid, this.probe.groupName(gid));
    return this.#groups.get(gid)!;
  }
}

/** What owner/group/mode a spec asks for, as read by {@link AccountCache}. */
export interface Ownership {
  owner?: string;
  group?: string;
  mode?: string;
}

/** The owner and group a state record keeps for a spec that manages them. */
export interface OwnerNames {
  /** Names of the current owner and group (only looked up when the spec sets them). */
  owner?: string;
  group?: string;
  /** The uid/gid the spec asks for: `undefined` when not managed, `null` for an unknown name. */
  wantUid?: number | null;
  wantGid?: number | null;
  /** Why an unknown owner or group will stay unknown (see {@link AccountCache.never}): the change cannot be made. */
  ownerNever?: string;
  groupNever?: string;
}

/** What is at a path, as far as ownership goes. */
export interface OwnedState extends OwnerNames {
  /** Permission bits, e.g. 0o644. */
  mode: number;
  uid: number;
  gid: number;
}

/** Fills the owner/group fields of a state record for a spec that manages them. */
export function readOwnership(
  spec: Ownership,
  info: PathInfo | null,
  accounts: AccountCache,
): OwnerNames {
  const out: OwnerNames = {};
  if (spec.owner !== undefined) {
    out.wantUid = accounts.uid(spec.owner);
    if (info) out.owner = accounts.userName(info.uid);
    const never = out.wantUid === null && accounts.never("user", spec.owner);
    if (never) out.ownerNever = never;
  }
  if (spec.group !== undefined) {
    out.wantGid = accounts.gid(spec.group);
    if (info) out.group = accounts.groupName(info.gid);
    const never = out.wantGid === null && accounts.never("group", spec.group);
    if (never) out.groupNever = never;
  }
  return out;
}

/**
 * The note on a change that needs an account which does not exist (`id`
 * null): only not yet, or for good (`never`, see {@link AccountCache.never}:
 * then the change is blocked). Nothing when the account exists.
 */
export function unknownAccount(
  type: "user" | "group",
  name: string,
  id: number | null | undefined,
  never: string | undefined,
): Pick<Change, "note" | "blocked"> {
  if (never) return { note: never, blocked: true };
  return id === null ? { note: `${type} "${name}" does not exist yet` } : {};
}

/**
 * The owner, group and mode changes between a spec and what is there; for a
 * path that does not exist yet (`exists` false) every managed field is listed
 * with `before: null`.
 */
export function ownershipChanges(
  spec: Ownership,
  current: OwnedState,
  exists: boolean,
): Change[] {
  const changes: Change[] = [];
  if (spec.owner !== undefined && (!exists || current.wantUid !== current.uid)) {
    changes.push({
      field: "owner",
      before: exists ? current.owner ?? String(current.uid) : null,
      after: spec.owner,
      ...unknownAccount("user", spec.owner, current.wantUid, current.ownerNever),
    });
  }
  if (spec.group !== undefined && (!exists || current.wantGid !== current.gid)) {
    changes.push({
      field: "group",
      before: exists ? current.group ?? String(current.gid) : null,
      after: spec.group,
      ...unknownAccount("group", spec.group, current.wantGid, current.groupNever),
    });
  }
  if (spec.mode !== undefined) {
    const want = parseMode(spec.mode);
    if (!exists || want !== current.mode) {
      changes.push({
        field: "mode",
        before: exists ? formatMode(current.mode) : null,
        after: formatMode(want),
      });
    }
  }
  return changes;
}

/** Resolves the spec's owner and group on the machine now (packages may have created them). */
export function resolveOwnership(
  spec: Ownership,
  exec: Probe,
): { uid?: number; gid?: number; mode?: number } | { error: string } {
  const out: { uid?: number; gid?: number; mode?: number } = {};
  if (spec.owner !== undefined) {
    const uid = exec.uid(spec.owner);
    if (uid === null) return { error: noSuchAccount("user", spec.owner, exec) };
    out.uid = uid;
  }
  if (spec.group !== undefined) {
    const gid = exec.gid(spec.group);
    if (gid === null) return { error: noSuchAccount("group", spec.group, exec) };
    out.gid = gid;
  }
  if (spec.mode !== undefined) out.mode = parseMode(spec.mode);
  return out;
}

/**
 * Makes only the owner/group/mode changes listed, on a path that exists:
 * chown first (it may clear setuid/setgid bits), then chmod.
 */
export function applyOwnership(
  path: string,
  fields: ReadonlySet<string>,
  want: { uid?: number; gid?: number; mode?: number },
  info: PathInfo,
  exec: Executor,
): void {
  const uid = fields.has("owner") && want.uid !== undefined ? want.uid : null;
  const gid = fields.has("group") && want.gid !== undefined ? want.gid : null;
  const mode = fields.has("mode") && want.mode !== undefined ? want.mode : null;
  if (uid !== null || gid !== null) {
    // Never a moment where the new owner gets the old, wider mode: narrow first.
    if (mode !== null && (info.mode & ~mode) !== 0) exec.chmod(path, info.mode & mode);
    exec.chown(path, uid, gid);
  }
  if (mode !== null) exec.chmod(path, mode);
  else if ((uid !== null || gid !== null) && info.mode & 0o6000) exec.chmod(path, info.mode);
}

/** What is at a path, in words: "symbolic link", "directory"... */
export function kindName(kind: PathInfo["kind"]): string {
  return kind === "symlink" ? "symbolic link" : kind === "other" ? "special file" : kind;
}

/** The change for something of another kind at the path: cm will not replace it, so it is blocked. */
export function inTheWay(found: PathInfo["kind"], wanted: string): Change {
  return {
    field: "state",
    before: kindName(found),
    after: wanted,
    note: `a ${kindName(found)} is in the way: cm will not replace it`,
    blocked: true,
  };
}
