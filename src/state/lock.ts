/**
 * The run lock: one apply or sync at a time per state directory. A kernel
 * lock (flock), so a lock left by a dead process is free again by itself.
 *
 * @module
 */
import { LockTimeoutError, StateError } from "../errors.ts";
import { onStatePath } from "./_os_error.ts";
import { humanTime } from "../text.ts";
import { isoTime } from "../iso_time.ts";

/** A held lock; release it with `release()` or `using`. */
export interface RunLock extends Disposable {
  /** Frees the lock for the next run; a second call does nothing. */
  release(): void;
  /**
   * What the last holder left in the lock file when it died holding the lock
   * (a release empties it): a SIGKILL, a second signal, a power cut. With a
   * `run`, that run had begun changing the machine and may not be recorded.
   */
  abandoned?: Holder;
}

/** Seconds a run waits for another run's lock unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT = 300;

/** Who holds the run lock: its process, its command (`cm apply`, `cm sync`...), since when (ISO). */
export interface Holder {
  /** Its process id. */
  pid: number;
  /** `cm apply`, `cm sync`, `cm rollback`. */
  command: string;
  /** When it took the lock, ISO 8601 in UTC. */
  since: string;
  /** The run that began changing the machine under this lock (see {@link markRun}). */
  run?: string;
}

/** The locks this process holds, by path, with what their files say. */
const held = new Map<string, { file: Deno.FsFile; holder: Holder }>();

function writeHolder(file: Deno.FsFile, holder: Holder): void {
  file.truncateSync(0);
  file.seekSync(0, Deno.SeekMode.Start);
  file.writeSync(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
}

/**
 * Notes in the lock file at `path`, which this process holds, that run `id`
 * begins changing the machine: if cm dies before it records the run, the next
 * holder finds it there ({@link RunLock.abandoned}). Once per run is enough.
 *
 * @throws {StateError} when the lock file cannot be written (a full disk)
 */
export function markRun(path: string, id: string): void {
  const lock = held.get(path);
  if (!lock || lock.holder.run === id) return;
  lock.holder = { ...lock.holder, run: id };
  onStatePath("write run lock", path, () => writeHolder(lock.file, lock.holder));
}

function holderOf(path: string): Holder | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

/** Whether `value` is a holder as cm writes one (a hand-edited lock file may hold anything). */
function isHolder(value: unknown): value is Holder {
  const h = value as Holder | undefined;
  return typeof h?.pid === "number" && typeof h.command === "string" &&
    typeof h.since === "string" && (h.run === undefined || typeof h.run === "string");
}

function describeHolder(path: string): string {
  const h = holderOf(path);
  return h ? `PID ${h.pid}, ${h.command}, since ${humanTime(h.since)}` : "holder unknown";
}

function waitingMessage(path: string, timeoutMs: number): string {
  const h = holderOf(path);
  const by = h
    ? `held by PID ${h.pid} (${h.command}, since ${humanTime(h.since)})`
    : "(holder unknown)";
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
 * The holder a process that died holding the lock at `path` left in it while
 * it changed the machine (`run` set, see {@link markRun}), which the next run
 * to take the lock records; `null` when the lock is held or absent, or its
 * last holder released it or had not begun changing anything. Takes nothing.
 */
export function abandonedHolder(path: string): (Holder & { run: string }) | null {
  if (lstatOrNull(path)?.isFile !== true || lockHolder(path)) return null;
  const left = holderOf(path);
  return isHolder(left) && left.run ? left as Holder & { run: string } : null;
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
  // A release empties the file: anything in it was left by a holder that died holding the lock.
  const left = holderOf(path);
  const abandoned = isHolder(left) ? left : undefined;
  const holder: Holder = { pid: Deno.pid, command, since: isoTime(new Date()) };
  try {
    onStatePath("write run lock", path, () => writeHolder(file, holder));
  } catch (error) {
    file.close(); // frees the lock too: a long-running cm sync must not keep it
    throw error;
  }
  held.set(path, { file, holder });
  let holding = true;
  const release = () => {
    if (!holding) return;
    holding = false;
    held.delete(path);
    file.truncateSync(0);
    file.unlockSync();
    file.close();
  };
  return { release, ...(abandoned ? { abandoned } : {}), [Symbol.dispose]: release };
}
