/**
 * Pieces every command's definition shares: what a command gets, durations,
 * verbosity, help examples, the state directory option.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import { UsageError } from "../errors.ts";
import { DEFAULT_LOCK_TIMEOUT } from "../state/lock.ts";
import type { CommandSpec, Options, OptionSpec } from "./args.ts";
import { MAX_WAIT_SECONDS, parseDuration } from "../text.ts";
import type { Verbosity } from "./output.ts";

/** What every command's `run` gets besides its operands and options. */
export interface Deps {
  /** The one door to the machine. */
  exec: Executor;
}

/** A command of cm, run with {@link Deps}; `O` is the shape of its parsed options. */
export type Command<O = Options> = CommandSpec<Deps, O>;

/**
 * Parses seconds: `300`, `1.5`, or a duration `30s`, `5m`, `1h`.
 *
 * @throws {UsageError} for anything else
 */
export function seconds(value: string): number {
  const parsed = parseDuration(value);
  if (parsed === null) {
    throw new UsageError(`expected seconds or a duration like 30s, 5m, 1h; got "${value}"`);
  }
  if (parsed > MAX_WAIT_SECONDS) {
    throw new UsageError(`expected at most ${MAX_WAIT_SECONDS} seconds (23 days), got "${value}"`);
  }
  return parsed;
}

/** Parses a positive whole number, e.g. `cm history -n 5`. */
export function count(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) {
    throw new UsageError(`expected a positive whole number, got "${value}"`);
  }
  return Number(value);
}

/** `--quiet` / `--verbose` as a verbosity. */
export function verbosity(opts: { quiet?: boolean; verbose?: boolean }): Verbosity {
  return opts.quiet ? "quiet" : opts.verbose ? "verbose" : "normal";
}

/** The "Examples:" block of a command's help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

/** `--state-dir DIR`, described for the command that takes it. */
export function stateDirOption(what = "state, runs, lock and repo checkout directory"): OptionSpec {
  return { flag: "--state-dir", value: "dir", help: `${what} (env CM_STATE_DIR)` };
}

/** `--json`: print `what` as JSON. */
export function jsonOption(what: string): OptionSpec {
  return { flag: "--json", help: `print ${what} as JSON` };
}

/** `-q, --quiet`: print only `what`. */
export function quietOption(what: string): OptionSpec {
  return { flag: "--quiet", short: "-q", help: `print only ${what}` };
}

/** `-v, --verbose`. */
export const VERBOSE_OPTION: OptionSpec = {
  flag: "--verbose",
  short: "-v",
  help: "also print unchanged resources",
};

/** `--lock-timeout SECONDS`, default {@link DEFAULT_LOCK_TIMEOUT}. */
export const LOCK_TIMEOUT_OPTION: OptionSpec = {
  flag: "--lock-timeout",
  value: "seconds",
  help: "wait this long for another run's lock",
  parse: seconds,
  default: DEFAULT_LOCK_TIMEOUT,
};

/** `--vars-file FILE` of apply, plan and validate. */
export const VARS_FILE_OPTION: OptionSpec = {
  flag: "--vars-file",
  value: "file",
  help:
    "root-only YAML file (mode 0600) with a vars: mapping kept out of git, e.g. node-local secrets",
};
