/**
 * `file`: content, owner, group and mode of a regular file, replaced atomically.
 *
 * Behaviour, decided here:
 * - Content is compared by sha256 (node:crypto's synchronous hash: `read`
 *   makes one lstat, one read and one hash per file, no per-file promise).
 *   The current hash is always computed, also when the sizes already differ,
 *   because the run's state record keeps it.
 * - `owner`, `group` and `mode` are managed only when given. A new file
 *   without `mode` gets 0644; without `owner`/`group` it belongs to the user
 *   and group cm runs as. Replacing an existing file keeps its mode, owner and
 *   group unless the spec sets them.
 * - A spec with neither `content` nor `source` manages attributes only; a
 *   missing file is created empty.
 * - The parent directory must exist: cm does not create it silently (declare
 *   it under `configure.directories`, which runs first).
 * - Something other than a regular file at the path (a directory, a symbolic
 *   link, a socket) is never replaced: apply fails and names it. `state:
 *   absent` removes a file or a symbolic link, never a directory.
 * - Changes of mode, owner or group alone use chmod/chown; the file is not
 *   rewritten (its inode stays).
 * - `validate`: the new content is written to a hidden temporary file in the
 *   same directory, the command runs on it (split into argv, no shell; `%s`
 *   replaced by the temporary path), and only an exit code 0 lets the content
 *   replace the file. The temporary file is removed either way.
 * - `Change.before/after` of "content" hold sha256 hex digests; the unified
 *   diff for `--diff` comes from {@link fileDiffText}, computed only when
 *   asked, so plans and run reports never carry file content. With
 *   `sensitive: true` the hashes are masked too ("(sensitive)": a hash of a
 *   short secret can be brute-forced) and the diff is
 *   "(sensitive content changed)".
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { FileSpec } from "./schemas.ts";
export type { FileSpec };
import type { Executor, PathInfo, Probe } from "../src/exec/executor.ts";
import { unifiedDiff } from "./_diff.ts";
import { quoteArgv, splitCommand } from "../src/exec/argv.ts";
import { applyEach, type Change, type Outcome, type ResourceKind } from "./resource.ts";
import { outputTail } from "../src/exec/output.ts";

/** What `read` found for one file. */
export interface FileState {
  /** What is at the path (lstat, links not followed), or `null` when nothing is. */
  kind: PathInfo["kind"] | null;
  size: number;
  /** Permission bits, e.g. 0o644 (0 when nothing is at the path). */
  mode: number;
  uid: number;
  gid: number;
  /** sha256 (hex) of the current content; `null` unless a regular file was read. */
  sha256: string | null;
  /** sha256 (hex) of the desired content; `null` when the spec does not manage content. */
  wantSha256: string | null;
  /** Why the current file or the desired source could not be read. */
  error?: string;
  /** Names of the current owner and group (only looked up when the spec sets them). */
  owner?: string;
  group?: string;
  /** The uid/gid the spec asks for: `undefined` when not managed, `null` for an unknown name. */
  wantUid?: number | null;
  wantGid?: number | null;
  /**
   * Old and new text for {@link fileDiffText}, kept only when the content
   * differs and is not sensitive; `null` for binary or very large content.
   */
  oldText?: string | null;
  newText?: string | null;
}

/** Content larger than this is not kept for diffs. */
const MAX_DIFF_BYTES = 1 << 20;
/** Output kept from a failing command in messages. */
/** How long a `validate` command may run. */
const VALIDATE_TIMEOUT_MS = 120_000;

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

/** The text of `data` for a diff, or `null` when binary or too large. */
function diffable(data: Uint8Array): string | null {
  if (data.length > MAX_DIFF_BYTES || data.includes(0)) return null;
  try {
    return fatalDecoder.decode(data);
  } catch {
    return null;
  }
}

/** Turns a validated octal mode string into its number. */
export function parseMode(mode: string): number {
  return parseInt(mode, 8);
}

/** "0644": four octal digits. */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

/** The directory holding `path`. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
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
  constructor(private probe: Probe) {}
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

/** Fills the owner/group fields of a state record for a spec that manages them. */
export function readOwnership(
  spec: Ownership,
  info: PathInfo | null,
  accounts: AccountCache,
): Pick<FileState, "owner" | "group" | "wantUid" | "wantGid"> {
  const out: Pick<FileState, "owner" | "group" | "wantUid" | "wantGid"> = {};
  if (spec.owner !== undefined) {
    out.wantUid = accounts.uid(spec.owner);
    if (info) out.owner = accounts.userName(info.uid);
  }
  if (spec.group !== undefined) {
    out.wantGid = accounts.gid(spec.group);
    if (info) out.group = accounts.groupName(info.gid);
  }
  return out;
}

/**
 * The owner, group and mode changes between a spec and what is there; for a
 * path that does not exist yet (`exists` false) every managed field is listed
 * with `before: null`.
 */
export function ownershipChanges(
  spec: Ownership,
  current: Pick<FileState, "owner" | "group" | "wantUid" | "wantGid" | "uid" | "gid" | "mode">,
  exists: boolean,
): Change[] {
  const changes: Change[] = [];
  if (spec.owner !== undefined && (!exists || current.wantUid !== current.uid)) {
    changes.push({
      field: "owner",
      before: exists ? current.owner ?? String(current.uid) : null,
      after: spec.owner,
      ...(current.wantUid === null ? { note: `user "${spec.owner}" does not exist yet` } : {}),
    });
  }
  if (spec.group !== undefined && (!exists || current.wantGid !== current.gid)) {
    changes.push({
      field: "group",
      before: exists ? current.group ?? String(current.gid) : null,
      after: spec.group,
      ...(current.wantGid === null ? { note: `group "${spec.group}" does not exist yet` } : {}),
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
    if (uid === null) return { error: `user "${spec.owner}" does not exist` };
    out.uid = uid;
  }
  if (spec.group !== undefined) {
    const gid = exec.gid(spec.group);
    if (gid === null) return { error: `group "${spec.group}" does not exist` };
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

/** An error's message, for an Outcome. */
export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const encoder = new TextEncoder();

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

/** Reads one file: never throws for what it finds on the machine. */
function readOne(spec: FileSpec, probe: Probe, accounts: AccountCache): FileState {
  const state: FileState = {
    kind: null,
    size: 0,
    mode: 0,
    uid: 0,
    gid: 0,
    sha256: null,
    wantSha256: null,
  };
  let info: PathInfo | null;
  let data: Uint8Array | null = null;
  try {
    info = probe.stat(spec.path);
    if (info) {
      state.kind = info.kind;
      state.size = info.size;
      state.mode = info.mode;
      state.uid = info.uid;
      state.gid = info.gid;
    }
    if (spec.state === "absent") return state;
    if (info?.kind === "file") {
      data = probe.readFile(spec.path);
      if (data) state.sha256 = sha256(data);
    }
  } catch (error) {
    state.error = `cannot read "${spec.path}": ${message(error)}`;
    return state;
  }
  Object.assign(state, readOwnership(spec, info, accounts));

  let want: Uint8Array | string | null = null;
  if (spec.content !== undefined) {
    want = spec.content;
    state.wantSha256 = sha256(spec.content);
  } else if (spec.sourcePath !== undefined) {
    try {
      want = probe.readFile(spec.sourcePath);
    } catch (error) {
      state.error = `cannot read source "${spec.sourcePath}": ${message(error)}`;
      return state;
    }
    if (!want) {
      state.error = `source "${spec.sourcePath}" does not exist`;
      return state;
    }
    state.wantSha256 = sha256(want);
  }
  if (want !== null && !spec.sensitive && state.wantSha256 !== state.sha256) {
    state.oldText = data ? diffable(data) : "";
    state.newText = typeof want === "string"
      ? (want.length > MAX_DIFF_BYTES ? null : want)
      : diffable(want);
  }
  return state;
}

function diffOne(spec: FileSpec, current: FileState): Change[] {
  if (spec.state === "absent") {
    if (current.kind === null) return [];
    return [{
      field: "state",
      before: current.kind === "file" ? "present" : kindName(current.kind),
      after: "absent",
    }];
  }
  if (current.kind !== null && current.kind !== "file") {
    return [inTheWay(current.kind, "file")];
  }
  const exists = current.kind === "file";
  const changes: Change[] = [];
  if (!exists) changes.push({ field: "state", before: "absent", after: "present" });
  if (current.error) {
    changes.push({ field: "content", before: current.sha256, after: null, note: current.error });
  } else if (current.wantSha256 !== null && current.wantSha256 !== current.sha256) {
    changes.push(
      spec.sensitive
        ? {
          field: "content",
          before: exists ? "(sensitive)" : null,
          after: "(sensitive)",
          note: "sensitive: content not shown",
        }
        : { field: "content", before: current.sha256, after: current.wantSha256 },
    );
  }
  changes.push(...ownershipChanges(spec, current, exists));
  return changes;
}

/**
 * The unified diff a content change makes, for `--diff`: `null` when the
 * content does not change; "(sensitive content changed)" for sensitive files;
 * a one-line summary for binary or very large content.
 */
export function fileDiffText(spec: FileSpec, current: FileState): string | null {
  if (spec.state === "absent" || current.wantSha256 === null) return null;
  if (current.wantSha256 === current.sha256) return null;
  if (spec.sensitive) return "(sensitive content changed)";
  const { oldText, newText } = current;
  if (oldText === undefined || newText === undefined) return null;
  if (oldText === null || newText === null) {
    return `(binary or large content changed: sha256 ${
      current.sha256 ?? "none"
    } -> ${current.wantSha256})`;
  }
  return unifiedDiff(oldText, newText, {
    oldLabel: current.kind === "file" ? spec.path : "/dev/null",
    newLabel: `${spec.path} (cookbook)`,
  });
}

/** The validate command's argv for `temp`, or why it cannot be split. */
export function validateArgv(validate: string, temp: string): string[] | { error: string } {
  const argv = splitCommand(validate);
  if (!Array.isArray(argv)) return { error: `validate: ${argv.error}` };
  return argv.map((word) => word.replaceAll("%s", temp));
}

async function applyOne(spec: FileSpec, changes: Change[], exec: Executor): Promise<Outcome> {
  const fail = (error: string): Outcome => ({ ok: false, error });
  const fields = new Set(changes.map((c) => c.field));
  const info = exec.stat(spec.path);

  if (spec.state === "absent") {
    if (!info) return { ok: true };
    if (info.kind === "directory") {
      return fail(`"${spec.path}" is a directory: state: absent removes only files`);
    }
    exec.remove(spec.path);
    return { ok: true };
  }
  if (info && info.kind !== "file") {
    return fail(
      `"${spec.path}" is a ${
        kindName(info.kind)
      }, not a regular file: remove it or change the path`,
    );
  }
  const want = resolveOwnership(spec, exec);
  if ("error" in want) return fail(want.error);

  if (info && !fields.has("content") && !fields.has("state")) {
    applyOwnership(spec.path, fields, want, info, exec);
    return { ok: true };
  }

  const parent = parentOf(spec.path);
  const parentInfo = exec.stat(parent);
  if (!parentInfo || (parentInfo.kind !== "directory" && parentInfo.kind !== "symlink")) {
    return fail(
      `parent directory "${parent}" does not exist: declare it under configure.directories`,
    );
  }
  let data: Uint8Array;
  if (spec.content !== undefined) data = encoder.encode(spec.content);
  else if (spec.sourcePath !== undefined) {
    const source = exec.readFile(spec.sourcePath);
    if (!source) return fail(`source "${spec.sourcePath}" does not exist`);
    data = source;
  } else if (info) {
    // Attributes-only spec on a file that exists: nothing to write.
    applyOwnership(spec.path, fields, want, info, exec);
    return { ok: true };
  } else data = new Uint8Array(0);

  const attrs = {
    // A new sensitive file is not world-readable unless the cookbook says so.
    mode: want.mode ?? info?.mode ?? (spec.sensitive ? 0o600 : 0o644),
    uid: want.uid ?? info?.uid,
    gid: want.gid ?? info?.gid,
  };

  if (spec.validate !== undefined) {
    const name = spec.path.slice(parent.length + 1);
    const temp = `${parent === "/" ? "" : parent}/.cm-validate-${
      crypto.randomUUID().slice(0, 8)
    }-${name}`;
    const argv = validateArgv(spec.validate, temp);
    if (!Array.isArray(argv)) return fail(argv.error);
    exec.writeFile(temp, data, { mode: 0o600 });
    let result;
    try {
      result = await exec.run(argv, { timeoutMs: VALIDATE_TIMEOUT_MS });
    } finally {
      exec.remove(temp);
    }
    if (result.code !== 0) {
      // Validators echo the lines they reject: never for sensitive content.
      const output = spec.sensitive
        ? "(output hidden: sensitive)"
        : outputTail(result.stdout, result.stderr);
      return fail(
        `validate refused the new content: ${quoteArgv(argv)} exited ${result.code}: ${output}`,
      );
    }
  }
  exec.writeFile(spec.path, data, attrs);
  return { ok: true };
}

/** The `file` resource kind. */
export const file: ResourceKind<FileSpec, FileState> = {
  kind: "file",
  id: (spec) => `file[${spec.path}]`,
  read(specs, probe) {
    const accounts = new AccountCache(probe);
    const states = new Array<FileState>(specs.length);
    for (let i = 0; i < specs.length; i++) states[i] = readOne(specs[i], probe, accounts);
    return Promise.resolve(states);
  },
  diff: diffOne,
  diffText: fileDiffText,
  // The hash of a short secret can be brute-forced: none is recorded for sensitive files.
  fingerprint: (spec, current, applied) =>
    spec.sensitive
      ? undefined
      : (applied ? current.wantSha256 ?? current.sha256 : current.sha256) ?? undefined,
  apply: (items, exec) => applyEach(items, (spec, changes) => applyOne(spec, changes, exec)),
};
