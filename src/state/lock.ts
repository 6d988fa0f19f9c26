/**
 * The run lock: one apply or sync at a time per state directory. A kernel
 * lock (flock), so a lock left by a dead process is free again by itself.
 *
 * @module
 */
import { LockTimeoutError, StateError } from "../errors.ts";
import { onStatePath } from "./_os_error.ts";

/** A held lock; release it with `release()` or `using`. */
export interface RunLock extends Disposable {
  /** Frees the lock for the next run; a second call does nothing. */
  release(): void;
}

/** Seconds a run waits for another run's lock unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT = 300;

/** Who holds the run lock: its process, its command (`cm apply`, `cm sync`...), since when (ISO). */
export interface Holder {
  pid: number;
  command: string;
  since: string;
}

function holderOf(path: string): Holder | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

function describeHolder(path: string): string {
  const h = holderOf(path);
  return h ? `PID ${h.pid}, ${h.command}, since ${h.since}` : "holder unknown";
}

function waitingMessage(path: string, timeoutMs: number): string {
  const h = holderOf(path);
  const by = h ? `held by PID ${h.pid} (${h.command}, since ${h.since})` : "(holder unknown)";
  return `waiting for the run lock ${by}: up to ${timeoutMs / 1000} s (--lock-timeout)`;
}

/**
 * Opens the lock file without following a symbolic link: `ln -s VICTIM lock`
 * must not make root truncate VICTIM. Deno has no O_NOFOLLOW, so the link is
 * refused before opening, and the file opened must be the one looked at (same
 * device and inode), else it is closed untouched: opening never truncates.
 */
function openLockFile(path: string): Deno.FsFile {
  ensureStateDir(path.slice(0, path.lastIndexOf("/")) || "/");
  const before = onStatePath("open run lock", path, () => lstatOrNull(path));
  if (before?.isSymlink) {
    throw new StateError(`refusing run lock "${path}": it is a symbolic link (remove it)`);
  }
  const file = onStatePath(
    "open run lock",
    path,
    () => Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 }),
  );
  const opened = file.statSync();
  const now = onStatePath("open run lock", path, () => lstatOrNull(path));
  if (!opened.isFile || now?.dev !== opened.dev || now?.ino !== opened.ino) {
    file.close();
    throw new StateError(
      `refusing run lock "${path}": ${
        opened.isFile ? "it was replaced while opened" : "not a regular file"
      }`,
    );
  }
  return file;
}

/** Creates the state directory (0700) unless it exists; refuses a file in its place. */
function ensureStateDir(dir: string): void {
  const info = onStatePath("use state directory", dir, () => statOrNull(dir, Deno.statSync));
  if (info && !info.isDirectory) {
    throw new StateError(`state directory "${dir}" is not a directory (--state-dir)`);
  }
  if (info) return;
  onStatePath(
    "create state directory",
    dir,
    () => Deno.mkdirSync(dir, { recursive: true, mode: 0o700 }),
  );
}

function lstatOrNull(path: string): Deno.FileInfo | null {
  return statOrNull(path, Deno.lstatSync);
}

function statOrNull(
  path: string,
  stat: (path: string) => Deno.FileInfo,
): Deno.FileInfo | null {
  try {
    return stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * The holder of the run lock at `path` while a run holds it, else `null`;
 * takes nothing: a shared lock tried and let go at once (flock(2)), which a
 * holder's exclusive lock refuses. A link at `path` is never followed.
 */
export function lockHolder(path: string): Holder | null {
  if (lstatOrNull(path)?.isFile !== true) return null;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return null;
  }
  try {
    if (file.tryLockSync(false)) {
      file.unlockSync();
      return null;
    }
    return holderOf(path) ?? { pid: 0, command: "unknown", since: "" };
  } finally {
    file.close();
  }
}

/**
 * Takes the lock at `path`, waiting up to `timeoutMs` for a running holder;
 * when it has to wait, tells `onWait` once, e.g. "waiting for the run lock held
 * by PID 42 (cm sync, since 2026-11-30T18:06:12.000Z): up to 300 s (--lock-timeout)".
 * Writes this process's PID into the lock file so waiters can name it.
 *
 * @throws {LockTimeoutError} when the holder keeps it past `timeoutMs`
 * @throws {StateError} when the lock path is a symbolic link, a directory or
 *   not writable (a full disk), or the state directory is not a directory
 */
export async function acquireLock(
  path: string,
  timeoutMs: number,
  command: string,
  onWait: (message: string) => void = () => {},
): Promise<RunLock> {
  const file = openLockFile(path);
  const started = performance.now();
  let waited = 0;
  while (!file.tryLockSync(true)) {
    if (waited >= timeoutMs) {
      file.close();
      throw new LockTimeoutError(path, describeHolder(path), waited);
    }
    if (waited === 0) onWait(waitingMessage(path, timeoutMs));
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, timeoutMs - waited)));
    waited = performance.now() - started;
  }
  try {
    onStatePath("write run lock", path, () => {
      file.truncateSync(0);
      file.writeSync(new TextEncoder().encode(
        JSON.stringify({ pid: Deno.pid, command, since: new Date().toISOString() }) + "\n",
      ));
    });
  } catch (error) {
    file.close(); // frees the lock too: a long-running cm sync must not keep it
    throw error;
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    file.truncateSync(0);
    file.unlockSync();
    file.close();
  };
  return { release, [Symbol.dispose]: release };
}
