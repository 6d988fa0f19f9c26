/**
 * Exit codes, the contract scripts rely on, in one table: every error and
 * every outcome that ends a command is mapped here and nowhere else.
 *
 * @module
 */
import {
  AlertConfigError,
  ConfigError,
  CookbookError,
  DisabledError,
  formatProblem,
  GitFailure,
  LockTimeoutError,
  StateError,
  UnrecordedRunError,
  UsageError,
} from "../errors.ts";
import type { RunReport } from "../engine/report.ts";
import { printable } from "../exec/output.ts";
import { blockLines } from "./output.ts";
import type { SyncOutcome } from "../sync/sync.ts";

/** Plain exit codes. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  locked: 3,
  syncKept: 4,
  drift: 5,
  disabled: 7,
  bug: 70,
  interrupted: 130,
  terminated: 143,
} as const;

/** What each plain exit code means (`cm help --man`, the README's table). */
export const EXIT_MEANINGS: Readonly<Record<keyof typeof EXIT, string>> = {
  ok: "success, whether or not something changed",
  failed:
    "a resource or handler failed, or the run could not be recorded; cm health: a check failed; " +
    "cm status: it lists a problem",
  usage: "a usage, cookbook, node configuration or state error: nothing was applied",
  locked: "another run held the lock past --lock-timeout",
  syncKept:
    "cm sync kept the last good commit: the new one did not fetch, validate or stay healthy",
  drift: "cm drift found the machine different from the last applied cookbooks",
  disabled: "cm disable stopped cm sync and cm apply: nothing was applied (cm enable)",
  bug: "a bug in cm: the stack trace is printed",
  interrupted: "SIGINT stopped an apply after the resource at work",
  terminated: "SIGTERM stopped an apply after the resource at work",
};

/** How exit codes are asked for on the command line. */
export interface ExitStyle {
  /** Puppet's --detailed-exitcodes: usage and cookbook errors exit 1, reports 0/2/4/6. */
  detailed?: boolean;
}

/**
 * The style `argv` (the words after `cm`) asks for: `--detailed-exitcodes`
 * as an option of the commands that take it, not an operand after `--`.
 */
export function exitStyle(argv: string[]): ExitStyle {
  const end = argv.indexOf("--");
  const options = end < 0 ? argv : argv.slice(0, end);
  const takesIt = ["apply", "plan", "sync"].includes(argv[0]);
  return { detailed: takesIt && options.includes("--detailed-exitcodes") };
}

/** What cm expects to go wrong, by class, with the exit code each one means. */
const EXPECTED: [new (...args: never[]) => Error, number][] = [
  [CookbookError, EXIT.usage],
  [ConfigError, EXIT.usage],
  [UsageError, EXIT.usage], // CredentialsError included
  [StateError, EXIT.usage],
  [AlertConfigError, EXIT.usage],
  // Resources report their own failures; this is cm's state directory or lock.
  [Deno.errors.PermissionDenied, EXIT.usage],
  // Deno itself refused: main.ts was run without the flags of src/permissions.ts.
  [Deno.errors.NotCapable, EXIT.usage],
  [LockTimeoutError, EXIT.locked],
  // A git failure sync could not record: the last good commit stands.
  [GitFailure, EXIT.syncKept],
  [DisabledError, EXIT.disabled],
  // The machine was changed: not a usage error, and never success.
  [UnrecordedRunError, EXIT.failed],
];

/** The exit code of a usage, cookbook or configuration error: 2, or 1 in the detailed style. */
export function usageExitCode(style: ExitStyle): number {
  return style.detailed ? EXIT.failed : EXIT.usage;
}

/** The exit code for an error thrown out of a command: {@link EXIT}.bug for anything unexpected. */
export function exitCodeOf(error: unknown, style: ExitStyle = {}): number {
  const code = EXPECTED.find(([type]) => error instanceof type)?.[1] ?? EXIT.bug;
  return code === EXIT.usage ? usageExitCode(style) : code;
}

/**
 * What to print for an expected error (see {@link exitCodeOf}): `cm: ...`
 * lines, control characters escaped (messages quote paths and names).
 */
export function errorLines(error: Error): string[] {
  if (error instanceof CookbookError || error instanceof ConfigError) {
    const n = error.problems.length;
    return [
      ...error.problems.map((p) => printable(formatProblem(p))),
      `cm: ${n} problem(s) in ${error.subject}; nothing was applied`,
    ];
  }
  const message = printable(error.message);
  if (error instanceof Deno.errors.PermissionDenied) {
    return [
      `cm: ${message}: cm manages the machine as root (as another user, give --state-dir DIR)`,
    ];
  }
  if (error instanceof Deno.errors.NotCapable) {
    return [
      `cm: deno was started without cm's permission flags (${message}): run \`deno task cm ...\` in the checkout, or the binary (deno task compile builds dist/cm)`,
    ];
  }
  return blockLines("cm: ", error.message);
}

/** The exit code of a plan or apply: a signal's, else by the report's counts. */
export function reportExitCode(
  report: RunReport,
  style: ExitStyle = {},
  signalCode?: number,
): number {
  if (signalCode !== undefined) return signalCode;
  const { changed } = report.totals;
  // Failed health fails the run, rolled back or not.
  const failed = report.totals.failed || (report.health?.ok === false ? 1 : 0);
  if (!style.detailed) return failed ? EXIT.failed : EXIT.ok;
  const refreshed = report.handlers.filter((h) => h.status === "changed").length;
  return ((changed + refreshed) ? 2 : 0) | (failed ? 4 : 0);
}

/**
 * The exit code of one sync (or of its `--check`): 4 when the last good
 * commit was kept (or nothing could be applied), else its apply's. In the
 * detailed style, keeping the last good commit is a failure: 4, or 6 when
 * converging it again changed something; otherwise the apply's 0, 2, 4 or 6.
 */
export function syncExitCode(
  outcome: SyncOutcome,
  style: ExitStyle = {},
  signalCode?: number,
): number {
  const kept = outcome.status === "kept" || (outcome.status === "failed" && !outcome.report);
  if (!style.detailed) {
    if (kept) return EXIT.syncKept;
    return outcome.report ? reportExitCode(outcome.report, {}, signalCode) : EXIT.ok;
  }
  if (!kept) return outcome.report ? reportExitCode(outcome.report, style, signalCode) : EXIT.ok;
  return (outcome.report ? reportExitCode(outcome.report, style) : 0) | 4;
}

/** The exit code of `cm status`: 1 when it found problems (a refused or failed sync, a failed run), else 0. */
export function statusExitCode(problems: readonly string[]): number {
  return problems.length ? EXIT.failed : EXIT.ok;
}
