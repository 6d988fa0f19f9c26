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

function describeHolder(path: string): string {
  try {
    const holder = JSON.parse(Deno.readTextFileSync(path));
    return `PID ${holder.pid}, ${holder.command}, since ${holder.since}`;
  } catch {
    return "holder unknown";
  }
}

/**
 * Takes the lock at `path`, waiting up to `timeoutMs` for a running holder.
 * Writes this process's PID into the lock file so waiters can name it.
 *
 * @throws {LockTimeoutError} when the holder keeps it past `timeoutMs`
 */
export async function acquireLock(
  path: string,
  timeoutMs: number,
  command: string,
): Promise<RunLock> {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")) || "/", { recursive: true, mode: 0o700 });
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
  const started = performance.now();
  while (!file.tryLockSync(true)) {
    const waited = performance.now() - started;
    if (waited >= timeoutMs) {
      file.close();
      throw new LockTimeoutError(path, describeHolder(path), waited);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, timeoutMs - waited)));
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
