/**
 * The real executor: the only module that spawns processes or writes to the
 * machine.
 *
 * @module
 */
import { osReason, StateError } from "../errors.ts";
import { unremovableTree } from "../posix_path.ts";
import { leftoverOf, tempTarget, writeTempPath } from "./temp_names.ts";
import type {
  Attributes,
  Executor,
  PathInfo,
  ProcessOptions,
  RunResult,
  WriteOptions,
} from "./executor.ts";
import { hashInput, readInput, release, sizeText } from "./input.ts";

const decoder = new TextDecoder();

/** Largest file {@link RealExecutor.readText} reads: 256 MiB (state JSON is 2 to 10 MB at 10,000 resources). */
export const MAX_TEXT_BYTES = 256 * 1024 * 1024;

/** The PATH every child process gets; the environment is otherwise clean. */
export const CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Parses `/etc/passwd` or `/etc/group` into name → id and id → name maps. */
export function parseIdFile(
  text: string,
): { byName: Map<string, number>; byId: Map<number, string> } {
  const byName = new Map<string, number>();
  const byId = new Map<number, string>();
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (!name || id === undefined || !/^\d+$/.test(id)) continue;
    byName.set(name, Number(id));
    if (!byId.has(Number(id))) byId.set(Number(id), name);
  }
  return { byName, byId };
}

class IdTable {
  #table = parseIdFile("");
  #loadedAt = -1;
  constructor(private path: string) {}

  #table_(): { byName: Map<string, number>; byId: Map<number, string> } {
    // Packages create users during a run (www-data, postgres): re-read when the file changed.
    let mtime = 0;
    try {
      mtime = Deno.statSync(this.path).mtime?.getTime() ?? 0;
    } catch {
      return this.#table;
    }
    if (mtime !== this.#loadedAt) {
      this.#table = parseIdFile(Deno.readTextFileSync(this.path));
      this.#loadedAt = mtime;
    }
    return this.#table;
  }
  id(name: string): number | null {
    if (/^\d+$/.test(name)) return Number(name);
    return this.#table_().byName.get(name) ?? null;
  }
  name(id: number): string {
    return this.#table_().byId.get(id) ?? String(id);
  }
}

function toPathInfo(info: Deno.FileInfo): PathInfo {
  return {
    kind: info.isFile
      ? "file"
      : info.isDirectory
      ? "directory"
      : info.isSymlink
      ? "symlink"
      : "other",
    size: info.size,
    mode: (info.mode ?? 0) & 0o7777,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    mtimeMs: info.mtime?.getTime() ?? 0,
  };
}

/** What is kept of a stream: its last 16 MiB; a chatty child must not fill cm's memory. */
const MAX_OUTPUT = 16 << 20;

/** The last {@link MAX_OUTPUT} characters of `text`. */
function lastPart(text: string): string {
  return text.length > MAX_OUTPUT ? text.slice(-MAX_OUTPUT) : text;
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  onLine?: (line: string) => void,
): Promise<string> {
  // Without progress lines, one decode at the end: a decoder stream per pipe costs 0.2 ms a process.
  if (!onLine) {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of stream) {
      chunks.push(chunk);
      size += chunk.length;
      while (size - chunks[0].length >= MAX_OUTPUT) size -= chunks.shift()!.length;
    }
    const all = new Uint8Array(size);
    chunks.reduce((at, chunk) => (all.set(chunk, at), at + chunk.length), 0);
    return lastPart(decoder.decode(all));
  }
  let text = "";
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.length > 2 * MAX_OUTPUT) text = lastPart(text);
    // Each "\n" ends the pending line and starts the next.
    const [rest, ...next] = chunk.split("\n");
    pending += rest;
    if (pending.length > 2 * MAX_OUTPUT) pending = lastPart(pending);
    for (const line of next) {
      onLine(pending);
      pending = line;
    }
  }
  if (pending) onLine(pending);
  return lastPart(text);
}

/** Writes `text` to a child's stdin and closes it. */
async function feed(stdin: WritableStream<Uint8Array>, text: string): Promise<void> {
  const writer = stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
}

/** `stat` of `path`, links followed; `null` when it (or a link's target) does not exist. */
function statFollowed(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Children at work in a process group of their own (under timeout(1)): a terminal's Ctrl-C misses them. */
const grouped = new Set<Deno.ChildProcess>();

/**
 * Sends `signal` to every child at work in a process group of its own;
 * timeout(1) passes it on to the whole group. For a second Ctrl-C: cm stops
 * at once, and so does what it started.
 */
export function signalGroupedChildren(signal: Deno.Signal): void {
  for (const child of grouped) {
    try {
      child.kill(signal);
    } catch {
      // It ended in the meantime.
    }
  }
}

/** An {@link Executor} backed by Deno.Command and Deno's file system calls. */
export class RealExecutor implements Executor {
  #users = new IdTable("/etc/passwd");
  #groups = new IdTable("/etc/group");

  /** Guards run like any command: the executor changes the machine anyway. */
  runGuard(argv: string[], options: ProcessOptions = {}): Promise<RunResult> {
    return this.run(argv, options);
  }

  async run(argv: string[], options: ProcessOptions = {}): Promise<RunResult> {
    if (options.cwd !== undefined && this.stat(options.cwd)?.kind !== "directory") {
      return { code: 127, stdout: "", stderr: `cannot run in "${options.cwd}": no such directory` };
    }
    // timeout(1) runs the command in its own process group and signals all of
    // it, so grandchildren holding the output pipes open die too; the abort
    // signal is only a backstop. A duration of 0 is no limit: the group alone.
    // setsid(1) puts it in a session of its own, without a terminal: a
    // background group that opened /dev/tty (a password prompt) would be
    // stopped for good; without one, the open fails and so does the command.
    const timed = options.timeoutMs || options.ownGroup
      ? [
        "setsid",
        "--wait",
        "timeout",
        "--kill-after=5",
        `${(options.timeoutMs ?? 0) / 1000}`,
        ...argv,
      ]
      : argv;
    const signal = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs + 15_000) : undefined;
    const started = performance.now();
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(timed[0], {
        args: timed.slice(1),
        cwd: options.cwd,
        clearEnv: true,
        env: { PATH: CLEAN_PATH, LANG: "C.UTF-8", HOME: "/root", ...options.env },
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        signal,
      }).spawn();
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound ? "command not found" : String(error);
      return { code: 127, stdout: "", stderr: `${argv[0]}: ${reason}` };
    }
    if (timed !== argv) grouped.add(child);
    // Fed while the output is read: a child that echoes its input (tee) would
    // otherwise block on a full stdout pipe while cm blocks on a full stdin pipe.
    const [stdout, stderr, status] = await Promise.all([
      collect(child.stdout, options.onLine),
      collect(child.stderr, options.onLine),
      child.status.finally(() => grouped.delete(child)),
      options.stdin === undefined ? undefined : feed(child.stdin, options.stdin),
    ]);
    // 124 or 137 before the limit is the command's own exit (or the OOM killer), not timeout(1)'s.
    const late = performance.now() - started >= (options.timeoutMs ?? Infinity);
    if (signal?.aborted || (late && (status.code === 124 || status.code === 137))) {
      return { code: 124, stdout, stderr: `${stderr}timed out after ${options.timeoutMs} ms` };
    }
    return {
      code: status.code,
      stdout,
      stderr: timed === argv ? stderr : unwrapped(argv[0], status.code, stderr),
      ...(status.signal ? { signal: status.signal } : {}),
    };
  }

  stat(path: string): PathInfo | null {
    try {
      return toPathInfo(Deno.lstatSync(path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        return null;
      }
      throw error;
    }
  }

  readFile(path: string): Uint8Array | null {
    try {
      // Deno.readFileSync holds a large file twice for a moment; one sized buffer does not.
      if (Deno.statSync(path).size <= 1 << 20) return Deno.readFileSync(path);
      const data = readInput(path, Number.MAX_SAFE_INTEGER);
      if ("error" in data) throw new Error(data.error);
      return data;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  readText(path: string): string | null {
    // A FIFO would block cm for ever (and swallow the first SIGTERM), /dev/zero never end.
    const info = statFollowed(path);
    if (info?.isDirectory) {
      throw new StateError(`cannot read "${path}": is a directory, expected a file`);
    }
    if (info && !info.isFile) {
      throw new StateError(`cannot read "${path}": not a regular file (a FIFO, device or socket)`);
    }
    // Larger would not even decode (V8's longest string): refused before it is read.
    if (info && info.size > MAX_TEXT_BYTES) {
      throw new StateError(
        `cannot read "${path}": larger than ${sizeText(MAX_TEXT_BYTES)}, the most cm reads as text`,
      );
    }
    const data = this.readFile(path);
    if (!data) return null;
    const text = decoder.decode(data);
    release(data);
    return text;
  }

  listDir(path: string): string[] | null {
    if (this.stat(path)?.kind !== "directory") return null;
    try {
      return [...Deno.readDirSync(path)].map((e) => e.name).sort();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  readLink(path: string): string | null {
    try {
      return Deno.readLinkSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        return null;
      }
      // EINVAL: something other than a link is at the path.
      if (this.stat(path)?.kind !== "symlink") return null;
      throw error;
    }
  }

  async hashFile(path: string): Promise<string | null> {
    const hash = await hashInput(path, Number.MAX_SAFE_INTEGER);
    if (typeof hash === "string") return hash;
    if (this.stat(path) === null) return null;
    throw new Error(hash.error);
  }

  uid(user: string): number | null {
    return this.#users.id(user);
  }
  gid(group: string): number | null {
    return this.#groups.id(group);
  }
  userName(uid: number): string {
    return this.#users.name(uid);
  }
  groupName(gid: number): string {
    return this.#groups.name(gid);
  }
  isRoot(): boolean {
    return Deno.uid() === 0;
  }

  /**
   * Writes `data` to a temporary file beside `path` (`.NAME.cm-XXXXXXXX`,
   * created exclusively), syncs it and renames it over `path`. A plain mode
   * (0644) is the file's from its creation unless the umask takes bits away;
   * those, an owner, or a setuid, setgid or sticky bit are set afterwards
   * through a descriptor of the temporary file (then created 0600; no name to
   * swap for a link in between). Leftovers of the same target from a killed
   * run are removed first (one listing per directory and run; none when
   * `options.leftoversSwept`): a sensitive file's leftover holds the secret.
   */
  writeFile(
    path: string,
    data: Uint8Array | Iterable<Uint8Array>,
    attrs: Attributes,
    options: WriteOptions = {},
  ): void {
    const dir = dirname(path);
    if (!options.leftoversSwept) this.#removeLeftovers(dir, tempTarget(path));
    const temp = writeTempPath(path);
    try {
      const mode = attrs.mode ?? 0o644;
      const owned = attrs.uid !== undefined || attrs.gid !== undefined;
      const created = namingTarget(path, () => writeNew(temp, data, owned ? 0o600 : mode & 0o777));
      if (owned || created !== mode) setAttributes(temp, { ...attrs, mode }, path);
      namingTarget(path, () => Deno.renameSync(temp, path));
    } catch (error) {
      try {
        Deno.removeSync(temp);
      } catch { /* the temporary file was never created */ }
      throw error;
    }
    this.#unsynced.add(dir);
  }

  /** Fsyncs every directory that holds a rename since the last flush (once each). */
  flush(): void {
    for (const dir of this.#unsynced) syncDirectory(dir);
    this.#unsynced.clear();
  }

  /** Directories holding renames not yet fsynced: one fsync each at flush, not one a file. */
  #unsynced = new Set<string>();

  /** Leftover temporary files per directory, listed once per run. */
  #leftovers = new Map<string, string[]>();

  #removeLeftovers(dir: string, target: string): void {
    let names = this.#leftovers.get(dir);
    if (!names) {
      names = listLeftovers(dir);
      this.#leftovers.set(dir, names);
    }
    const mine = names.filter((name) => leftoverOf(name) === target);
    if (!mine.length) return;
    for (const name of mine) this.remove(`${dir === "/" ? "" : dir}/${name}`);
    this.#leftovers.set(dir, names.filter((name) => !mine.includes(name)));
  }

  /** A temporary link beside `path` renamed over it (see {@link Executor.symlink}). */
  symlink(target: string, path: string): void {
    const dir = dirname(path);
    this.#removeLeftovers(dir, tempTarget(path));
    const temp = writeTempPath(path);
    namingTarget(path, () => Deno.symlinkSync(target, temp));
    try {
      namingTarget(path, () => Deno.renameSync(temp, path));
    } catch (error) {
      Deno.removeSync(temp);
      throw error;
    }
    this.#unsynced.add(dir);
  }

  mkdir(path: string, attrs: Attributes): void {
    Deno.mkdirSync(path, { recursive: true, mode: attrs.mode ?? 0o755 });
    if (!hasAttributes(Deno.lstatSync(path), attrs)) setAttributes(path, attrs);
  }

  appendFile(path: string, data: Uint8Array | Iterable<Uint8Array>, mode: number): void {
    const kind = this.stat(path)?.kind;
    if (kind === "symlink") {
      throw new Error(`refusing to append to "${path}": it is a symbolic link`);
    }
    // Opening a FIFO for writing waits for a reader: the run would hang, holding its lock.
    if (kind === "other" && Deno.lstatSync(path).isFifo) {
      throw new Error(`refusing to append to "${path}": it is a FIFO`);
    }
    const file = Deno.openSync(path, { append: true, create: true, mode });
    try {
      // A log created now gets `mode` whole, whatever the umask took; an existing one keeps its own.
      if (kind === undefined && (file.statSync().mode! & 0o7777) !== mode) {
        setAttributes(path, { mode });
      }
      writeAll(file, data);
      file.syncSync();
    } finally {
      file.close();
    }
  }

  chmod(path: string, mode: number): void {
    setAttributes(path, { mode });
  }

  chown(path: string, uid: number | null, gid: number | null): void {
    setAttributes(path, { uid: uid ?? undefined, gid: gid ?? undefined });
  }

  remove(path: string): void {
    try {
      Deno.removeSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  removeTree(path: string): void {
    const refused = unremovableTree(path);
    if (refused) throw new Error(refused);
    // Rust's remove_dir_all: unlinkat under descriptors opened O_NOFOLLOW, so a link in the
    // tree (or one swapped in mid-walk) is removed itself, never followed out of the tree.
    try {
      Deno.removeSync(path, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** Writes every byte of `data` (one buffer or chunks) to `file`: writeSync may take fewer. */
function writeAll(file: Deno.FsFile, data: Uint8Array | Iterable<Uint8Array>): void {
  for (const chunk of data instanceof Uint8Array ? [data] : data) {
    let written = 0;
    while (written < chunk.length) written += file.writeSync(chunk.subarray(written));
  }
}

/** Creates `path` (O_EXCL) with `mode` less the umask, writes `data`; returns the mode it got. */
function writeNew(path: string, data: Uint8Array | Iterable<Uint8Array>, mode: number): number {
  const file = Deno.openSync(path, { write: true, createNew: true, mode });
  try {
    writeAll(file, data);
    file.syncSync();
    return file.statSync().mode! & 0o7777;
  } finally {
    file.close();
  }
}

/** Runs `fn`; an OS error's message then names `target`, not cm's temporary file (class and code kept). */
function namingTarget<T>(target: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Error && "code" in error) {
      error.message = `cannot write "${target}": ${osReason(error)}`;
    }
    throw error;
  }
}

/**
 * Names in `dir` that look like cm's temporary files (./temp_names.ts). cm
 * writes only files and links there: a directory of that name is someone
 * else's, and must not stop the write.
 */
function listLeftovers(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => !e.isDirectory && leftoverOf(e.name))
      .map((e) => e.name);
  } catch {
    return []; // the write that follows reports what is wrong with the directory
  }
}

/** Whether `info` is a directory that has every attribute of `attrs` already. */
function hasAttributes(info: Deno.FileInfo, attrs: Attributes): boolean {
  return info.isDirectory &&
    (attrs.mode === undefined || ((info.mode ?? 0) & 0o7777) === attrs.mode) &&
    (attrs.uid === undefined || info.uid === attrs.uid) &&
    (attrs.gid === undefined || info.gid === attrs.gid);
}

/**
 * node:fs, for fchown and fchmod (which Deno lacks), loaded at first use:
 * its start costs about 20 ms, and a run that changes nothing sets no attributes.
 */
function nodeFs(): typeof import("node:fs") {
  return process.getBuiltinModule("node:fs");
}

/**
 * chown, then chmod, through a descriptor opened without following a link
 * (O_NOFOLLOW; O_NONBLOCK so a FIFO swapped in does not hang): the inode
 * opened is the one changed, never what a link put there meanwhile points to.
 * chown first: it may clear setuid/setgid bits that the mode sets. Errors
 * name `named` (the target, when `path` is its temporary file).
 *
 * @throws {Deno.errors.NotFound} and the like, as Deno's own calls would; a link is refused (ELOOP)
 */
function setAttributes(path: string, attrs: Attributes, named = path): void {
  const fs = nodeFs();
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    throw denoError(error, named);
  }
  try {
    if (attrs.uid !== undefined || attrs.gid !== undefined) {
      fs.fchownSync(fd, attrs.uid ?? -1, attrs.gid ?? -1);
    }
    if (attrs.mode !== undefined) fs.fchmodSync(fd, attrs.mode);
  } catch (error) {
    throw denoError(error, named);
  } finally {
    fs.closeSync(fd);
  }
}

/** A node:fs error as the Deno error class callers expect, naming `path`. */
function denoError(error: unknown, path: string): Error {
  const code = (error as { code?: string }).code;
  const reason = code === "ELOOP" ? "is a symbolic link (not followed)" : osReason(error as Error);
  const message = `cannot set owner or mode of "${path}": ${reason}`;
  const Class = code === "ENOENT"
    ? Deno.errors.NotFound
    : code === "EACCES" || code === "EPERM"
    ? Deno.errors.PermissionDenied
    : Error;
  return Object.assign(new Class(message), { code });
}

/** Makes a rename durable: fsync the directory that holds it (best effort). */
function syncDirectory(path: string): void {
  try {
    const dir = Deno.openSync(path, { read: true });
    try {
      dir.syncSync();
    } finally {
      dir.close();
    }
  } catch { /* some file systems refuse fsync on a directory; the rename is still atomic */ }
}

/**
 * timeout(1)'s own words when it could not start the command (exit 126 or
 * 127), said as cm says them for a command run without a limit: "sendmail:
 * command not found", not "timeout: failed to run command ‘sendmail’", which
 * reads as if the command had timed out.
 */
function unwrapped(command: string, code: number, stderr: string): string {
  if (code !== 126 && code !== 127) return stderr;
  const m = /^timeout: failed to run command .+?: (.+)\n?$/.exec(stderr);
  if (!m) return stderr;
  return `${command}: ${code === 127 ? "command not found" : m[1]}`;
}
