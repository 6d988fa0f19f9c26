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
import type { FileSpec } from "./file_schema.ts";
export type { FileSpec };
import { dirname } from "node:path";
import type { Attributes, Executor, PathInfo, Probe } from "../src/exec/executor.ts";
import { quoteArgv, splitCommand } from "../src/exec/argv.ts";
import { outputTail } from "../src/exec/output.ts";
import { unifiedDiff } from "./_diff.ts";
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
  type SpecProblem,
} from "./resource.ts";

/** What `read` found for one file. */
export interface FileState extends OwnedState {
  /** What is at the path (lstat, links not followed), or `null` when nothing is. */
  kind: PathInfo["kind"] | null;
  size: number;
  /** sha256 (hex) of the current content; `null` unless a regular file was read. */
  sha256: string | null;
  /** sha256 (hex) of the desired content; `null` when the spec does not manage content. */
  wantSha256: string | null;
  /** Why the current file or the desired source could not be read. */
  error?: string;
  /**
   * Old and new text for {@link fileDiffText}, kept only when the content
   * differs and is not sensitive; `null` for binary or very large content.
   */
  oldText?: string | null;
  newText?: string | null;
}

/** Content larger than this is not kept for diffs. */
const MAX_DIFF_BYTES = 1 << 20;
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

const encoder = new TextEncoder();

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
    state.error = `cannot read "${spec.path}": ${errorMessage(error)}`;
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
      state.error = `cannot read source "${spec.sourcePath}": ${errorMessage(error)}`;
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

/** `state: absent`: removes a file or a symbolic link, never a directory. */
function removeFile(spec: FileSpec, info: PathInfo | null, exec: Executor): Outcome {
  if (!info) return { ok: true };
  if (info.kind === "directory") {
    return { ok: false, error: `"${spec.path}" is a directory: state: absent removes only files` };
  }
  exec.remove(spec.path);
  return { ok: true };
}

/** The bytes the file must hold, `null` when the spec manages attributes only. */
function wantedContent(spec: FileSpec, exec: Probe): Uint8Array | null | { error: string } {
  if (spec.content !== undefined) return encoder.encode(spec.content);
  if (spec.sourcePath === undefined) return null;
  return exec.readFile(spec.sourcePath) ?? { error: `source "${spec.sourcePath}" does not exist` };
}

/**
 * Writes `data` to a hidden temporary file beside the target, runs the
 * `validate` command on it and removes it: an error text unless it exited 0.
 */
async function validate(
  spec: FileSpec,
  command: string,
  data: Uint8Array,
  exec: Executor,
): Promise<string | undefined> {
  const parent = dirname(spec.path);
  const temp = `${parent === "/" ? "" : parent}/.cm-validate-${crypto.randomUUID().slice(0, 8)}-${
    spec.path.slice(parent.length + 1)
  }`;
  const argv = validateArgv(command, temp);
  if (!Array.isArray(argv)) return argv.error;
  exec.writeFile(temp, data, { mode: 0o600 });
  let result;
  try {
    result = await exec.run(argv, { timeoutMs: VALIDATE_TIMEOUT_MS });
  } finally {
    exec.remove(temp);
  }
  if (result.code === 0) return undefined;
  // Validators echo the lines they reject: never for sensitive content.
  const output = spec.sensitive
    ? "(output hidden: sensitive)"
    : outputTail(result.stdout, result.stderr);
  return `validate refused the new content: ${quoteArgv(argv)} exited ${result.code}: ${output}`;
}

/** Replaces the file's content atomically, after `validate` accepted it. */
async function writeContent(
  spec: FileSpec,
  data: Uint8Array,
  attrs: Attributes,
  exec: Executor,
): Promise<Outcome> {
  if (spec.validate !== undefined) {
    const refused = await validate(spec, spec.validate, data, exec);
    if (refused) return { ok: false, error: refused };
  }
  exec.writeFile(spec.path, data, attrs);
  return { ok: true };
}

async function applyOne(spec: FileSpec, changes: Change[], exec: Executor): Promise<Outcome> {
  const fail = (error: string): Outcome => ({ ok: false, error });
  const fields = new Set(changes.map((c) => c.field));
  const info = exec.stat(spec.path);
  if (spec.state === "absent") return removeFile(spec, info, exec);
  if (info && info.kind !== "file") {
    return fail(
      `"${spec.path}" is a ${
        kindName(info.kind)
      }, not a regular file: remove it or change the path`,
    );
  }
  const want = resolveOwnership(spec, exec);
  if ("error" in want) return fail(want.error);
  // Only attributes change (or only attributes are managed): chmod/chown, the inode stays.
  const content = fields.has("content") || fields.has("state") ? wantedContent(spec, exec) : null;
  if (info && content === null) {
    applyOwnership(spec.path, fields, want, info, exec);
    return { ok: true };
  }
  const parent = dirname(spec.path);
  const parentInfo = exec.stat(parent);
  if (!parentInfo || (parentInfo.kind !== "directory" && parentInfo.kind !== "symlink")) {
    return fail(
      `parent directory "${parent}" does not exist: declare it under configure.directories`,
    );
  }
  if (content !== null && "error" in content) return fail(content.error);
  return await writeContent(spec, content ?? new Uint8Array(0), {
    // A new sensitive file is not world-readable unless the cookbook says so.
    mode: want.mode ?? info?.mode ?? (spec.sensitive ? 0o600 : 0o644),
    uid: want.uid ?? info?.uid,
    gid: want.gid ?? info?.gid,
  }, exec);
}

/**
 * At most one of `content`, `source`, `template`; none of them with `state:
 * absent` (the file is removed).
 */
function check(spec: FileSpec): SpecProblem[] {
  const given = (["content", "source", "template"] as const).filter((k) => spec[k] !== undefined);
  if (given.length > 1) {
    return [{
      field: given[1],
      message: `expected only one of content, source, template, got ${given.join(" and ")}`,
    }];
  }
  if (spec.state === "absent" && given.length) {
    return [{
      field: given[0],
      message: `expected no ${given[0]} with state: absent (the file is removed)`,
      got: spec[given[0]],
    }];
  }
  return [];
}

/** The `file` resource kind. */
export const file: ResourceKind<FileSpec, FileState> = {
  name: "file",
  id: (spec) => `file[${spec.path}]`,
  check,
  claims: (spec) => [`path:${spec.path}`],
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
