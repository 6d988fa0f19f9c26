/**
 * The run lock: one apply or sync at a time per state directory. A kernel
 * lock (flock), so a lock left by a dead process is free again by itself.
 *
 * @module
 */
import { LockTimeoutError } from "../errors.ts";

/** A held lock; release it with `release()` or `using`. */
export interface RunLock extends Disposable {
  /** Frees the lock for the next run; a second call does nothing. */
  release(): void;
}

interface Holder {
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
 * Takes the lock at `path`, waiting up to `timeoutMs` for a running holder;
 * when it has to wait, tells `onWait` once, e.g. "waiting for the run lock held
 * by PID 42 (cm sync, since 2026-11-30T18:06:12.000Z): up to 300 s (--lock-timeout)".
 * Writes this process's PID into the lock file so waiters can name it.
 *
 * @throws {LockTimeoutError} when the holder keeps it past `timeoutMs`
 */
export async function acquireLock(
  path: string,
  timeoutMs: number,
  command: string,
  onWait: (message: string) => void = () => {},
): Promise<RunLock> {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")) || "/", { recursive: true, mode: 0o700 });
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
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
  file.truncateSync(0);
  file.writeSync(new TextEncoder().encode(
    JSON.stringify({ pid: Deno.pid, command, since: new Date().toISOString() }) + "\n",
  ));
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
