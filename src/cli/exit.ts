/**
 * Exit codes: the contract scripts rely on.
 *
 * @module
 */

/** Plain exit codes. */
export const EXIT = {
  /** Success, whether or not something changed. */
  ok: 0,
  /** A resource (or handler) failed. */
  failed: 1,
  /** Usage or cookbook error: nothing was applied. */
  usage: 2,
  /** Another run held the lock past --lock-timeout. */
  locked: 3,
  /** cm sync could not fetch or validate a new commit; the last good one was kept. */
  syncKept: 4,
  /** A bug in cm: the stack trace is printed. */
  bug: 70,
  /** SIGINT stopped an apply after the resource at work. */
  interrupted: 130,
  /** SIGTERM stopped an apply after the resource at work. */
  terminated: 143,
} as const;

/** The exit code of a usage or cookbook error: 2, or 1 under --detailed-exitcodes (Puppet's). */
export function usageExitCode(argv: string[]): number {
  return argv.includes("--detailed-exitcodes") ? 1 : EXIT.usage;
}

/** Puppet's --detailed-exitcodes: 0 no changes, 2 changes, 4 failures, 6 both; 1 usage/cookbook error. */
export function detailedExitCode(changed: number, failed: number): number {
  return (changed ? 2 : 0) | (failed ? 4 : 0);
}

/** Raised for wrong command-line use (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
