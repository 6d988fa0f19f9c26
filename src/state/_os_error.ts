/**
 * OS errors met on cm's own state files, classified once: each becomes a
 * {@link StateError} naming the path and the reason (exit code 2), so a full
 * disk or a directory where the lock belongs is not reported as a bug in cm.
 *
 * @module
 */
import { osReason, StateError } from "../errors.ts";

/** True for an error the operating system raised (it carries an errno name such as "ENOSPC"). */
function isOsError(error: unknown): error is Error {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
}

/**
 * Runs `fn`, which does `action` ("write state file") on `path`. An OS error
 * becomes a StateError `cannot write state file "PATH": no space left on
 * device`; permission errors pass through (cli/exit.ts explains them: cm runs
 * as root), as does anything else.
 *
 * @throws {StateError} for an OS error other than permission denied
 */
export function onStatePath<T>(action: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!isOsError(error) || error instanceof Deno.errors.PermissionDenied) throw error;
    throw new StateError(`cannot ${action} "${path}": ${osReason(error)}`);
  }
}
