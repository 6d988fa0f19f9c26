/**
 * cm's domain errors, in one low module every layer may import. Each class
 * is something a person can act on; main.ts maps them to exit codes through
 * the one table in src/cli/exit.ts. Anything else thrown is a bug in cm.
 *
 * @module
 */

/** Where something was written: file, 1-based line and column. */
export interface Position {
  /** The file as it was named to cm. */
  file: string;
  /** 1-based line; 0 for the file as a whole (it cannot be read: missing, a directory...). */
  line: number;
  /** 1-based column; 0 with line 0. */
  col: number;
}

/** The position of a problem with a file as a whole: printed as `file: ...`. */
export function wholeFile(file: string): Position {
  return { file, line: 0, col: 0 };
}

/** One problem in a YAML file, e.g. `web.yaml:12:5: configure.files[0].mode: expected ...`. */
export interface Problem {
  /** Where the offending value was written. */
  at: Position;
  /** The YAML path as text: `configure.files[0].mode` (empty for the whole document). */
  path: string;
  /** What is wrong: `expected an octal mode like "0644", got "644x"`. */
  message: string;
}

/** Formats one problem as `file:line:col: path: message`. */
export function formatProblem(problem: Problem): string {
  const { file, line, col } = problem.at;
  const where = line ? `${file}:${line}:${col}` : file;
  return `${where}: ${problem.path ? `${problem.path}: ` : ""}${problem.message}`;
}

/**
 * Problems found in YAML files: every one, one `file:line:col: ...` line
 * each in the message, in the order found.
 */
export abstract class ProblemsError extends Error {
  /** What the problems are in, for the summary line: "the cookbooks". */
  abstract readonly subject: string;
  /** Carries `problems`: every one found, at least one. */
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
  }
}

/** Thrown when cookbooks are invalid; carries every problem found (exit code 2). */
export class CookbookError extends ProblemsError {
  /** "the cookbooks" */
  readonly subject = "the cookbooks";
  /** Carries `problems`: every one found, at least one. */
  constructor(problems: Problem[]) {
    super(problems);
    this.name = "CookbookError";
  }
}

/** Thrown when the node configuration (config.yaml) is invalid (exit code 2). */
export class ConfigError extends ProblemsError {
  /** "the node configuration" */
  readonly subject = "the node configuration";
  /** Carries `problems`: every one found, at least one. */
  constructor(problems: Problem[]) {
    super(problems);
    this.name = "ConfigError";
  }
}

/** Raised for wrong command-line use (exit code 2). */
export class UsageError extends Error {
  /** `message` says what was wrong and, where it helps, what to do instead. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Raised for a credentials file cm refuses to use (exit code 2). */
export class CredentialsError extends UsageError {
  /** `message` names the file and why it is refused. */
  constructor(message: string) {
    super(message);
    this.name = "CredentialsError";
  }
}

/** Raised for an alert file cm refuses to read (group/other access, foreign owner): exit code 2. */
export class AlertConfigError extends Error {
  /** `message` names the file and why it is refused. */
  constructor(message: string) {
    super(message);
    this.name = "AlertConfigError";
  }
}

/** A state file or run report that cannot be read (exit code 2, not a bug). */
export class StateError extends Error {
  /** `message` names the file and what is wrong with it. */
  constructor(message: string) {
    super(message);
    this.name = "StateError";
  }
}

/**
 * An apply changed the machine but its run could not be recorded (a full
 * disk, say): exit code 1, never 0. The next run reads the machine afresh and
 * records what it finds.
 */
export class UnrecordedRunError extends Error {
  /**
   * @param report the run that was applied, as it would have been recorded
   * @param cause the StateError that stopped the recording
   */
  constructor(readonly report: { id: string }, override readonly cause: StateError) {
    super(
      `run ${report.id} changed the machine but was not recorded: ${cause.message}` +
        " (free the space; the next run records what it finds)",
    );
    this.name = "UnrecordedRunError";
  }
}

/**
 * A git command of cm sync's that failed (src/sync/git.ts's GitError is one).
 * Sync records most as a sync that kept the last good commit; one that
 * escapes (the checkout not moved back after a health rollback, a `--check`'s
 * work tree not made) leaves that commit standing too: exit code 4, not a bug.
 */
export class GitFailure extends Error {}

/**
 * Raised when `cm disable` stopped cm from changing the machine (exit code 7):
 * `cm sync` and `cm apply` refuse until `cm enable`.
 */
export class DisabledError extends Error {
  /** `message` says since when, by whom and why, and how to enable cm again. */
  constructor(message: string) {
    super(message);
    this.name = "DisabledError";
  }
}

/** Raised when another run still holds the lock after the timeout (exit code 3). */
export class LockTimeoutError extends Error {
  /**
   * Names the lock, its holder and the wait.
   *
   * @param path the lock file
   * @param holder who holds it, e.g. "PID 12, cm apply, since 2026-11-26T05:00:00Z"
   * @param waitedMs how long this run waited, in milliseconds
   */
  constructor(readonly path: string, readonly holder: string, readonly waitedMs: number) {
    super(
      `another cm run holds the lock ${path} (${holder}); waited ${
        (waitedMs / 1000).toFixed(1)
      } s (--lock-timeout)`,
    );
    this.name = "LockTimeoutError";
  }
}

/** The message of anything thrown: `error.message` for an Error, else its text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The reason an OS error gives, lower-case, without Deno's or node's
 * decorations: "no space left on device" from "No space left on device (os
 * error 28): write '/x'" or from "ENOSPC: no space left on device, write".
 */
export function osReason(error: Error): string {
  const text = error.message.replace(/^E[A-Z]+: /, "").replace(/ \(os error \d+\).*$/s, "")
    .replace(/, \w+(?: '.*')?$/s, "");
  return text.charAt(0).toLowerCase() + text.slice(1);
}
