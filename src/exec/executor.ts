/**
 * The one door for side effects. Resources read the machine through a
 * {@link Probe} and change it only through an {@link Executor}; both take argv
 * arrays, never shell strings.
 *
 * @module
 */

/** The outcome of one process: never thrown for a non-zero exit. */
export interface RunResult {
  /** Exit code; 124 when killed by `timeoutMs`, 128+N when killed by signal N. */
  code: number;
  /** Everything the process wrote to stdout, decoded as UTF-8. */
  stdout: string;
  /** Everything the process wrote to stderr, decoded as UTF-8. */
  stderr: string;
  /** The signal that killed it (`SIGINT`: a Ctrl-C at the terminal reaches it too), when one did. */
  signal?: string;
}

/** Options for running a process. */
export interface ProcessOptions {
  /** Working directory of the process (default: cm's own). */
  cwd?: string;
  /** Extra environment variables, added to a minimal clean environment. */
  env?: Record<string, string>;
  /** Text written to the process's stdin, then closed (default: no stdin). */
  stdin?: string;
  /** Kill the process after this many milliseconds (code 124, like timeout(1)). */
  timeoutMs?: number;
  /**
   * Run it in a process group of its own (as `timeoutMs` does), so that a
   * Ctrl-C at the terminal reaches cm alone and the change at work finishes:
   * for what changes the machine and must not die half-way. It has no
   * terminal then: opening /dev/tty fails.
   */
  ownGroup?: boolean;
  /** Called with each stdout/stderr line as it arrives (progress output). */
  onLine?: (line: string) => void;
}

/** What `lstat` tells about a path; `null` from {@link Probe.stat} when it does not exist. */
export interface PathInfo {
  /** What the path itself is (links are not followed). */
  kind: "file" | "directory" | "symlink" | "other";
  /** Size in bytes. */
  size: number;
  /** Permission bits only (e.g. 0o644). */
  mode: number;
  /** Owner's numeric user id. */
  uid: number;
  /** Owner's numeric group id. */
  gid: number;
  /** Last modification, in milliseconds since the Unix epoch. */
  mtimeMs: number;
}

/** Ownership and permissions for a write. */
export interface Attributes {
  /** Permission bits (e.g. 0o644); default 0o644 for files, 0o755 for directories. */
  mode?: number;
  /** Numeric owner; default: the process's (root). */
  uid?: number;
  /** Numeric group; default: the process's (root). */
  gid?: number;
}

/** How {@link Executor.writeFile} may go about a write. */
export interface WriteOptions {
  /**
   * Leftover temporary files of the target (a killed run's) are removed by
   * the caller's own sweep (run reports: the daily prune of runs/), so its
   * directory (runs/ holds thousands of reports) is not listed for them.
   */
  leftoversSwept?: boolean;
}

/**
 * Read-only access to the machine. Planning gets only this, so reading and
 * diffing cannot change anything by construction. `run` is for commands that
 * only look (dpkg-query, systemctl show): a plan's probe refuses any other
 * (see plan_probe.ts).
 */
export interface Probe {
  /**
   * Runs `argv[0]` (looked up in PATH) with the other elements as arguments,
   * in a minimal clean environment. Never throws for a non-zero exit; throws
   * only when the program cannot be started at all.
   */
  run(argv: string[], options?: ProcessOptions): Promise<RunResult>;
  /**
   * Runs a cookbook's guard (`unless`, `onlyif`): the one door through which
   * a plan runs a command outside the read-only tools: guards are checks
   * and run in plans unless the cookbook says `plan_guards: false`.
   */
  runGuard(argv: string[], options?: ProcessOptions): Promise<RunResult>;
  /** `lstat` of a path; `null` when it does not exist. */
  stat(path: string): PathInfo | null;
  /** A file's bytes; `null` when it does not exist. */
  readFile(path: string): Uint8Array | null;
  /**
   * A file's text (UTF-8, invalid bytes replaced); `null` when it does not
   * exist. For the state directory's JSON (state, catalog, reports: 2 to 10
   * MB each at 10,000 resources): the bytes are freed as soon as they are
   * decoded, where a read buffer would otherwise stay allocated until V8's
   * next full collection.
   *
   * @throws {StateError} when it is a directory, FIFO, device or socket (links followed), or too large to be text: never read
   */
  readText(path: string): string | null;
  /**
   * The names in the directory at `path`, sorted; `null` when `path` is not
   * a directory (a symbolic link to one included: it is never followed).
   */
  listDir(path: string): string[] | null;
  /** The target of the symbolic link at `path`, as written in it; `null` when `path` is no link. */
  readLink(path: string): string | null;
  /**
   * The sha256 (hex) of a file's bytes, a large file read in chunks and
   * never held whole; `null` when it does not exist.
   *
   * @throws {Error} naming the path when it is not a regular file or cannot be read
   */
  hashFile(path: string): Promise<string | null>;
  /** The uid of a user name, or `null` when no such user exists. */
  uid(user: string): number | null;
  /** The gid of a group name, or `null` when no such group exists. */
  gid(group: string): number | null;
  /** The user name of a uid (number as text when unknown). */
  userName(uid: number): string;
  /** The group name of a gid (number as text when unknown). */
  groupName(gid: number): string;
  /** Whether the current process runs as root. */
  isRoot(): boolean;
}

/** A {@link Probe} that can also change the machine. */
export interface Executor extends Probe {
  /**
   * Replaces `path` atomically: writes a temporary file in the same directory,
   * sets its attributes, fsyncs it and renames it over `path`. The rename is
   * durable after the next {@link Executor.flush}. `data` may come in chunks
   * (see `json_chunks.ts`), so large content is never held whole.
   */
  writeFile(
    path: string,
    data: Uint8Array | Iterable<Uint8Array>,
    attrs: Attributes,
    options?: WriteOptions,
  ): void;
  /**
   * Appends `data` (bytes, or chunks of them, each written with one write
   * call where the system allows) to the file `path` (a log), creating it with exactly
   * `mode` (whatever the umask) when missing, and fsyncs it; a symbolic link
   * or a FIFO (a write would wait for a reader) at `path` is refused.
   *
   * @throws {Error} when `path` is a link or a FIFO, or cannot be opened or written
   */
  appendFile(path: string, data: Uint8Array | Iterable<Uint8Array>, mode: number): void;
  /** Makes the renames of every earlier `writeFile` durable (fsyncs their directories once). */
  flush(): void;
  /**
   * Points the symbolic link `path` at `target` atomically: creates a
   * temporary link in the same directory and renames it over `path` (which
   * may be missing, a link or a file; never a directory).
   */
  symlink(target: string, path: string): void;
  /** Creates a directory and its missing parents. */
  mkdir(path: string, attrs: Attributes): void;
  /** Sets the permission bits of `path` itself (e.g. 0o640); a symbolic link there is refused. */
  chmod(path: string, mode: number): void;
  /** Sets the owner and/or group of `path` itself (`null`: unchanged); a link there is refused. */
  chown(path: string, uid: number | null, gid: number | null): void;
  /** Removes a file or an empty directory; no error when it is already gone. */
  remove(path: string): void;
  /**
   * Removes the directory `path` and everything in it; symbolic links in it
   * are removed, never followed (nor one at `path`: only the link goes). No
   * error when it is already gone.
   *
   * @throws {Error} for `/` or a top-level directory (`/etc`, `/home`): never removed whole
   */
  removeTree(path: string): void;
}
