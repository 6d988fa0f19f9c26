/**
 * `file`: content, owner, group and mode of a regular file, replaced atomically.
 *
 * Behaviour, decided here:
 * - Content is compared by sha256 (WebCrypto's: `read` makes one lstat, one
 *   read and one hash per file; files over 1 MiB are hashed by the probe,
 *   never held whole while planning).
 *   The current hash is always computed, also when the sizes already differ,
 *   because the run's state record keeps it.
 * - `owner`, `group` and `mode` are managed only when given. A new file
 *   without `mode` gets 0644; without `owner`/`group` it belongs to the user
 *   and group cm runs as. Replacing an existing file keeps its mode, owner and
 *   group unless the spec sets them.
 * - A spec with neither `content` nor `source` manages attributes only; a
 *   missing file is created empty.
 * - The parent directory must exist: cm does not create it silently (declare
 *   it under `configure.directories`, which runs first). It is resolved once
 *   and checked by systemd's unsafe-path-transition rule (./_path_safety.ts);
 *   the file is read and written under the resolved path. A refused or
 *   dangling parent fails plan and apply alike, naming the offending link.
 *   A missing parent that no directory resource of the run creates is a blocked change, so the plan
 *   already says the file will fail, unless a package or command changed
 *   earlier in the run: those may create it (nginx makes /etc/nginx).
 * - Something other than a regular file at the path (a directory, a symbolic
 *   link, a socket) is never replaced: apply fails and names it. `state:
 *   absent` removes a file or a symbolic link, never a directory, socket,
 *   FIFO or device (the plan already says so).
 * - Changes of mode, owner or group alone use chmod/chown; the file is not
 *   rewritten (its inode stays).
 * - `validate`: the new content is written to a hidden temporary file in the
 *   same directory, the command runs on it (split into argv, no shell; `%s`
 *   replaced by the temporary path), and only an exit code 0 lets the content
 *   replace the file. The temporary file is removed either way.
 * - `Change.before/after` of "content" say size and lines ("120 B, 4
 *   lines"), what a person can judge a change by; the new content's sha256
 *   is the result's fingerprint. The unified diff for `--diff` comes from
 *   {@link fileDiffText}, computed only when asked, so plans and run reports
 *   never carry file content. With `sensitive: true` even the sizes are
 *   masked ("(sensitive)": a length narrows a secret down) and the diff is
 *   "(sensitive content changed)".
 *
 * @module
 */
import type { FileSpec } from "./file_schema.ts";
export type { FileSpec };
import { dirname } from "../src/posix_path.ts";
import { sha256Hex, sha256Hexes } from "../src/digest.ts";
import { type Chased, chaser, resolveManaged } from "./_path_safety.ts";
import type { Attributes, Executor, PathInfo, Probe } from "../src/exec/executor.ts";
import { quoteArgv, splitCommand } from "../src/exec/argv.ts";
import { validateTempPath } from "../src/exec/temp_names.ts";
import { outputTail } from "../src/exec/output.ts";
import { unifiedDiff } from "./_diff.ts";
import { contentSummary, formatSize } from "./_content_summary.ts";
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
  type ResourceContext,
  type ResourceKind,
  sideEffectsSoFar,
  type SpecProblem,
} from "./resource.ts";
import { restorePath } from "./_restore_path.ts";

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
  /** Why root must not write under the file's parent directory (./_path_safety.ts). */
  unsafe?: string;
  /** Size and lines of the current and desired content, kept only when they differ. */
  summary?: { before: string | null; after: string };
  /** The missing parent directory no directory resource of the run creates. */
  orphanOf?: string;
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

/**
 * Every path a directory resource of the run creates: its own and, as parents,
 * all above it. Made once per run (`ctx.once`): asked for each missing file,
 * a scan of every claim made 10,000 failing files take 13 s.
 */
function declaredDirectories(ctx: ResourceContext): ReadonlySet<string> {
  return ctx.once("file:declared-directories", () => {
    const paths = new Set<string>();
    for (const [claim, kind] of ctx.claims) {
      if (kind !== "directory" || !claim.startsWith("path:")) continue;
      for (let p = claim.slice("path:".length); p !== "/" && !paths.has(p); p = dirname(p)) {
        paths.add(p);
      }
    }
    return paths;
  });
}

/**
 * The parent of a missing file when it is missing too and nothing in the run
 * will create it: no directory resource, no package or command changed before.
 */
function orphanOf(spec: FileSpec, probe: Probe, ctx: ResourceContext): string | undefined {
  const parent = dirname(spec.path);
  const kind = probe.stat(parent)?.kind;
  if (kind === "directory" || kind === "symlink") return undefined;
  if (declaredDirectories(ctx).has(parent) || sideEffectsSoFar(ctx.changed)) return undefined;
  return parent;
}

/**
 * Reads one file (`contentSha256`: the sha256 of `spec.content`, when it has
 * one): never throws for what it finds on the machine.
 */
async function readOne(
  spec: FileSpec,
  probe: Probe,
  accounts: AccountCache,
  chase: (dir: string) => Chased,
  ctx: ResourceContext,
  contentSha256: string | undefined,
): Promise<FileState> {
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
    const resolved = resolveManaged(spec.path, chase);
    if ("error" in resolved) return { ...state, unsafe: resolved.error };
    info = probe.stat(resolved.path);
    if (info) {
      state.kind = info.kind;
      state.size = info.size;
      state.mode = info.mode;
      state.uid = info.uid;
      state.gid = info.gid;
    }
    if (spec.state === "absent") return state;
    if (!info) {
      const parent = orphanOf(spec, probe, ctx);
      if (parent) state.orphanOf = parent;
    }
    if (info?.kind === "file") {
      // A small file is hashed below, once the wanted content is known.
      if (info.size > MAX_DIFF_BYTES) state.sha256 = await probe.hashFile(resolved.path);
      else data = probe.readFile(resolved.path);
    }
  } catch (error) {
    state.error = `cannot read "${spec.path}": ${errorMessage(error)}`;
    return state;
  }
  Object.assign(state, readOwnership(spec, info, accounts));

  const wanted = await readWanted(spec, probe, contentSha256);
  if (data) {
    // On a no-op every file holds the wanted bytes, whose hash is known: one hash per file, not two.
    const same = "bytes" in wanted && wanted.bytes && sameBytes(data, wanted.bytes);
    state.sha256 = same ? wanted.sha256 : await sha256Hex(data);
  }
  if ("error" in wanted) {
    state.error = wanted.error;
    return state;
  }
  const { want, size: wantSize } = wanted;
  state.wantSha256 = wanted.sha256;
  if (state.wantSha256 !== null && !spec.sensitive && state.wantSha256 !== state.sha256) {
    state.summary = {
      before: data ? contentSummary(data) : info?.kind === "file" ? formatSize(info.size) : null,
      after: wanted.bytes === null ? formatSize(wantSize) : contentSummary(wanted.bytes),
    };
    state.oldText = info?.kind !== "file" ? "" : data ? diffable(data) : null;
    state.newText = want === null
      ? null
      : typeof want === "string"
      ? (want.length > MAX_DIFF_BYTES ? null : want)
      : diffable(want);
  }
  return state;
}

/** The content a spec wants: its text or its source's bytes (when small enough to diff). */
interface Wanted {
  sha256: string | null;
  /** The text, or the source's bytes; `null` for a large source or no content managed. */
  want: Uint8Array | string | null;
  /** The bytes of `want`. */
  bytes: Uint8Array | null;
  /** The source's size (for a large source's summary). */
  size: number;
}

/** What `spec` wants the file to hold; `error` when its source cannot be read. */
async function readWanted(
  spec: FileSpec,
  probe: Probe,
  contentSha256: string | undefined,
): Promise<Wanted | { error: string }> {
  if (spec.content !== undefined) {
    const bytes = encoder.encode(spec.content);
    return { sha256: contentSha256!, want: spec.content, bytes, size: bytes.length };
  }
  if (spec.sourcePath === undefined) return { sha256: null, want: null, bytes: null, size: 0 };
  try {
    const source = probe.stat(spec.sourcePath);
    if (!source) return { error: `source "${spec.sourcePath}" does not exist` };
    const { sha256, data } = await contentOf(probe, spec.sourcePath, source);
    return { sha256, want: data, bytes: data, size: source.size };
  } catch (error) {
    return { error: `cannot read source "${spec.sourcePath}": ${errorMessage(error)}` };
  }
}

/** Whether `a` and `b` hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The sha256 of a file, with its bytes when it is small enough to diff; a
 * larger one is hashed in chunks and never held whole.
 */
async function contentOf(
  probe: Probe,
  path: string,
  info: PathInfo,
): Promise<{ sha256: string | null; data: Uint8Array | null }> {
  if (info.size > MAX_DIFF_BYTES) return { sha256: await probe.hashFile(path), data: null };
  const data = probe.readFile(path);
  return { sha256: data && await sha256Hex(data), data };
}

/** "content: 12 B, 1 line → 20 B, 2 lines"; a note when the sizes alone do not show it. */
function contentChange(current: FileState): Change {
  const { before, after } = current.summary ?? { before: null, after: "" };
  return { field: "content", before, after, ...(before === after ? { note: "same size" } : {}) };
}

function diffOne(spec: FileSpec, current: FileState): Change[] {
  if (current.unsafe) {
    return [{
      field: "state",
      before: null,
      after: spec.state ?? "present",
      note: current.unsafe,
      blocked: true,
    }];
  }
  if (spec.state === "absent") {
    if (current.kind === null) return [];
    if (current.kind === "file") return [{ field: "state", before: "present", after: "absent" }];
    const found = kindName(current.kind);
    return [{
      field: "state",
      before: found,
      after: "absent",
      ...(removable(current.kind) ? {} : {
        note: `a ${found} is at the path: ${ABSENT_REMOVES}`,
        blocked: true,
      }),
    }];
  }
  if (current.kind !== null && current.kind !== "file") {
    return [inTheWay(current.kind, "file")];
  }
  const exists = current.kind === "file";
  const changes: Change[] = [];
  if (current.orphanOf) {
    changes.push({
      field: "state",
      before: "absent",
      after: "present",
      note:
        `parent directory "${current.orphanOf}" does not exist and no directory resource creates it`,
      blocked: true,
    });
  } else if (!exists) changes.push({ field: "state", before: "absent", after: "present" });
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
        : contentChange(current),
    );
  }
  changes.push(...ownershipChanges(spec, current, exists));
  return changes;
}

/**
 * The unified diff a content change makes: `null` when the content does not
 * change, or when the file does not exist yet and `created` is false (an
 * apply's record; `--diff` asks for new files too); "(sensitive content
 * changed)" for sensitive files; a one-line summary for binary or very large
 * content.
 */
export function fileDiffText(spec: FileSpec, current: FileState, created: boolean): string | null {
  if (spec.state === "absent" || current.wantSha256 === null) return null;
  if (!created && current.kind !== "file") return null;
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

const ABSENT_REMOVES = "state: absent removes only files and symbolic links";

/** Whether `state: absent` removes what is at the path: not a directory, socket, FIFO or device. */
function removable(kind: PathInfo["kind"]): boolean {
  return kind === "file" || kind === "symlink";
}

/** `state: absent`: removes a file or a symbolic link, never a directory or special file. */
function removeFile(
  spec: FileSpec,
  path: string,
  info: PathInfo | null,
  exec: Executor,
): Outcome {
  if (!info) return { ok: true };
  if (!removable(info.kind)) {
    return { ok: false, error: `"${spec.path}" is a ${kindName(info.kind)}: ${ABSENT_REMOVES}` };
  }
  exec.remove(path);
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
  path: string,
  command: string,
  data: Uint8Array,
  exec: Executor,
): Promise<string | undefined> {
  const temp = validateTempPath(path);
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
  path: string,
  data: Uint8Array,
  attrs: Attributes,
  exec: Executor,
): Promise<Outcome> {
  if (spec.validate !== undefined) {
    const refused = await validate(spec, path, spec.validate, data, exec);
    if (refused) return { ok: false, error: refused };
  }
  exec.writeFile(path, data, attrs);
  return { ok: true };
}

async function applyOne(spec: FileSpec, changes: Change[], exec: Executor): Promise<Outcome> {
  const fail = (error: string): Outcome => ({ ok: false, error });
  const fields = new Set(changes.map((c) => c.field));
  // Resolved again, now: what is checked is what is written (chmod/chown never follow a link).
  const resolved = resolveManaged(spec.path, chaser(exec));
  if ("error" in resolved) return fail(resolved.error);
  const path = resolved.path;
  const info = exec.stat(path);
  if (spec.state === "absent") return removeFile(spec, path, info, exec);
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
    applyOwnership(path, fields, want, info, exec);
    return { ok: true };
  }
  if (exec.stat(dirname(path))?.kind !== "directory") {
    return fail(
      `parent directory "${
        dirname(spec.path)
      }" does not exist: declare it under configure.directories`,
    );
  }
  if (content !== null && "error" in content) return fail(content.error);
  return await writeContent(spec, path, content ?? new Uint8Array(0), {
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
  async prepare(specs) {
    // Every inline content at once: src/digest.ts hashes them the faster way for their number.
    // A hash of a short secret can be brute-forced, and the catalog is a file: none for sensitive content.
    const inline = specs.filter((s) => s.content !== undefined && !s.sensitive);
    const hashes = await sha256Hexes(inline.map((s) => s.content!));
    inline.forEach((spec, i) => spec.contentSha256 = hashes[i]);
  },
  async read(specs, probe, ctx) {
    const accounts = new AccountCache(probe, ctx);
    const chase = chaser(probe);
    const unhashed = specs.filter((s) => s.content !== undefined && s.contentSha256 === undefined);
    const hashes = await sha256Hexes(unhashed.map((s) => s.content!));
    const contentSha256 = new Map(unhashed.map((s, i) => [s, hashes[i]]));
    const states: FileState[] = [];
    for (const spec of specs) {
      const sha256 = spec.contentSha256 ?? contentSha256.get(spec);
      states.push(await readOne(spec, probe, accounts, chase, ctx, sha256));
    }
    return states;
  },
  diff: diffOne,
  diffText: fileDiffText,
  // The hash of a short secret can be brute-forced: none is recorded for sensitive files.
  fingerprint: (spec, current, applied) =>
    spec.sensitive
      ? undefined
      : (applied ? current.wantSha256 ?? current.sha256 : current.sha256) ?? undefined,
  apply: (items, exec) => applyEach(items, (spec, changes) => applyOne(spec, changes, exec)),
  snapshot: (spec, _current, store) => store.capture(spec.path, spec.sensitive),
  restore: (before, exec, store) => restorePath(before, exec, store),
};
