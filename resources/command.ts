/**
 * `command`: a process run when its guards say so (the seed's pre/post_install items).
 *
 * Behaviour, decided here:
 * - A string `command` is split into argv like a shell would split words,
 *   without expansion ({@link splitCommand}); text that needs a shell (pipes,
 *   redirections, `$VAR`...) is refused and the message says to use
 *   `shell: true`. A list is run as the argv it is.
 * - `shell: true` runs `/bin/sh -c TEXT`; it needs a string: a list is
 *   already an argv, so the two together are refused rather than guessed at.
 *   String guards follow the same rule; a guard given as a list always runs
 *   as that argv.
 * - `sudo: true` prefixes `sudo -n --` (never prompts) only when cm is not
 *   root; it applies to the guards too, which run with the same privileges,
 *   `cwd`, `env` and `timeout` as the command.
 * - Guards, in order: `creates` (a stat, always evaluated, also in plans),
 *   `unless` (exit 0 skips), `onlyif` (non-zero skips). Guards are checks and
 *   run in plans too (through `Probe.runGuard`, like Puppet's noop), so a
 *   plan of a converged node is clean; `plan_guards: false` keeps a guard
 *   with side effects out of plans, and the change then says what would decide.
 * - Guards are evaluated again right before the command runs in `apply`:
 *   commands of one batch are read together (the guards of up to four
 *   commands at once, each command's own in order), and an earlier command
 *   may have created what a later one's guard looks for.
 * - `run_on` makes the command a handler (Puppet's `refreshonly` +
 *   `subscribe`, Chef's `notifies`): it never runs in the resource pass,
 *   only once at the end of a run in which one of the named resources or
 *   paths changed, with its guards; one name, like the services'
 *   `restart_on`, says both when and on what. A failure stays pending in the
 *   state and later runs retry it (see the engine).
 * - A non-zero exit fails the resource with "exited N: <output tail>" (stderr,
 *   or stdout when stderr is empty: last 20 lines / 2 KiB); a timeout says
 *   "timed out after N s".
 *
 * @module
 */
import type { CommandSpec } from "./command_schema.ts";
export type { CommandSpec };
import type { Executor, Probe, ProcessOptions, RunResult } from "../src/exec/executor.ts";
import { NO_NUL, quoteArgv, splitCommand } from "../src/exec/argv.ts";
import { outputTail } from "../src/exec/output.ts";
import {
  applyEach,
  type Change,
  type Outcome,
  type ResourceContext,
  type ResourceKind,
  type SpecProblem,
} from "./resource.ts";

/** What `read` found: whether a guard says to skip, and why the command would run. */
export interface CommandState {
  /** Why the command is skipped (a guard decided), or `null` when it runs. */
  skip: string | null;
  /** For people: why it runs, or what would decide in a plan. */
  note: string;
  /** Set when an `unless` guard gave no answer (timed out, killed): the command must not run. */
  unanswered?: true;
}

/** A command line as one line for messages: the string itself, or the argv quoted. */
export function commandText(line: string | string[]): string {
  return typeof line === "string" ? line.trim() : quoteArgv(line);
}

/** The argv for a command line (before sudo), or why it cannot be run. */
export function commandArgv(line: string | string[], shell: boolean): string[] | { error: string } {
  if (Array.isArray(line)) {
    if (shell) {
      return {
        error: "expected a command string with shell: true, got a list",
      };
    }
    return line;
  }
  if (shell) return ["/bin/sh", "-c", line];
  return splitCommand(line);
}

function guardArgv(line: string | string[], shell: boolean): string[] | { error: string } {
  return Array.isArray(line) ? line : commandArgv(line, shell);
}

/**
 * Every reason a command spec cannot run, reported at load time: text that
 * cannot be split without a shell, a list with `shell: true`, a sensitive
 * command without a name to show instead.
 */
export function commandProblems(spec: CommandSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  // A sensitive command's text is never quoted, not even in a problem.
  const say = (failed: { error: string; reason?: string }) =>
    spec.sensitive ? failed.reason ?? failed.error : failed.error;
  const main = commandArgv(spec.command, spec.shell);
  if (!Array.isArray(main)) problems.push({ field: "command", message: say(main) });
  for (const field of ["unless", "onlyif"] as const) {
    const line = spec[field];
    if (line === undefined) continue;
    const argv = guardArgv(line, spec.shell);
    if (!Array.isArray(argv)) problems.push({ field, message: say(argv) });
  }
  for (const field of ["command", "unless", "onlyif"] as const) {
    if ([spec[field] ?? []].flat().some((word) => word.includes("\0"))) {
      problems.push({ field, message: NO_NUL });
    }
  }
  problems.push(...envProblems(spec));
  if (spec.sensitive && spec.name === undefined) {
    problems.push({
      field: "sensitive",
      message: "expected a name: with sensitive: true (the command text is never shown)",
    });
  }
  return problems;
}

/** Environment names that are empty or hold "=" or NUL, and values holding NUL. */
function envProblems(spec: CommandSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (name === "" || /[=\0]/.test(name)) {
      problems.push({
        field: "env",
        message: `expected variable names that are not empty and hold no "=" or NUL byte${
          spec.sensitive ? "" : `, got ${JSON.stringify(name)}`
        }`,
      });
    }
    if (value.includes("\0")) problems.push({ field: "env", message: NO_NUL });
  }
  return problems;
}

function withSudo(argv: string[], spec: CommandSpec, probe: Probe): string[] {
  return spec.sudo && !probe.isRoot() ? ["sudo", "-n", "--", ...argv] : argv;
}

function runOptions(spec: CommandSpec): ProcessOptions {
  const options: ProcessOptions = {};
  if (spec.cwd !== undefined) options.cwd = spec.cwd;
  if (spec.env !== undefined) options.env = spec.env;
  if (spec.timeout !== undefined) options.timeoutMs = Math.round(spec.timeout * 1000);
  return options;
}

function timedOut(spec: CommandSpec, result: RunResult): boolean {
  return result.code === 124 && spec.timeout !== undefined &&
    /timed out after \d+ ms$/.test(result.stderr);
}

/** "exited 1: <tail>" or "timed out after 5 s". */
function failure(spec: CommandSpec, result: RunResult): string {
  if (timedOut(spec, result)) return `timed out after ${spec.timeout} s`;
  const output = spec.sensitive
    ? "(output hidden: sensitive)"
    : outputTail(result.stdout, result.stderr);
  return `exited ${result.code}: ${output}`;
}

/**
 * Evaluates the guards. `runGuards` false leaves `unless`/`onlyif` unrun
 * (plans); `creates` is a stat and always looked at.
 */
async function evaluate(
  spec: CommandSpec,
  probe: Probe,
  runGuards: boolean,
): Promise<CommandState> {
  if (spec.creates !== undefined && probe.stat(spec.creates)) {
    return { skip: `"${spec.creates}" exists`, note: "" };
  }
  const reasons: string[] = [];
  if (spec.creates !== undefined) reasons.push(`"${spec.creates}" does not exist`);
  const guards: ["unless" | "onlyif", string | string[]][] = [];
  if (spec.unless !== undefined) guards.push(["unless", spec.unless]);
  if (spec.onlyif !== undefined) guards.push(["onlyif", spec.onlyif]);
  if (guards.length === 0) {
    return {
      skip: null,
      note: reasons.length ? `runs: ${reasons[0]}` : "runs every time: no guard",
    };
  }
  if (!runGuards) {
    const would = guards.map(([kind, line]) =>
      `${kind === "unless" ? "unless" : "if"} \`${commandText(line)}\` succeeds`
    );
    const notRun = guards.length > 1 ? "guards not run in plan" : "guard not run in plan";
    return {
      skip: null,
      note: `would run ${[...reasons.map((r) => `as ${r}`), ...would].join(" and ")}: ${notRun}`,
    };
  }
  for (const [kind, line] of guards) {
    const text = commandText(line);
    const argv = guardArgv(line, spec.shell);
    if (!Array.isArray(argv)) {
      // Refused at load time; if it gets here, run the command to report it.
      return { skip: null, note: `${kind}: ${argv.error}` };
    }
    const result = await probe.runGuard(withSudo(argv, spec, probe), runOptions(spec));
    const silent = result.signal
      ? `was killed by ${result.signal}`
      : timedOut(spec, result)
      ? "timed out"
      : null;
    if (kind === "unless" && silent) {
      // "Did not succeed" is no answer: running the command on it could repeat work it guards.
      return {
        skip: null,
        note: `unless \`${text}\` ${silent}: cannot tell whether to run`,
        unanswered: true,
      };
    }
    if (kind === "unless" && result.code === 0) {
      return { skip: `unless \`${text}\` succeeded`, note: "" };
    }
    if (kind === "onlyif" && result.code !== 0) {
      return { skip: `onlyif \`${text}\` ${silent ?? `exited ${result.code}`}`, note: "" };
    }
    reasons.push(
      kind === "unless" ? `\`${text}\` exited ${result.code}` : `\`${text}\` succeeded`,
    );
  }
  return { skip: null, note: `runs: ${reasons.join(" and ")}` };
}

function errorOf(argv: string[] | { error: string }): string | null {
  return Array.isArray(argv) ? null : argv.error;
}

async function applyOne(
  spec: CommandSpec,
  exec: Executor,
  ctx: ResourceContext,
  changes: Change[] = [],
): Promise<Outcome> {
  const argv = commandArgv(spec.command, spec.shell);
  if (!Array.isArray(argv)) return { ok: false, error: argv.error };
  for (const line of [spec.unless, spec.onlyif]) {
    const error = line === undefined ? null : errorOf(guardArgv(line, spec.shell));
    if (error) return { ok: false, error };
  }
  // The guards ran when the batch was read; run them again only if something
  // changed since (an earlier command may have satisfied them). A handler's
  // guards were never run.
  const blocked = changes.find((c) => c.blocked);
  if (blocked) return { ok: false, error: blocked.note! };
  if (spec.run_on || ctx.changed.size !== changedWhenRead(ctx).get(spec)) {
    const state = await evaluate(spec, exec, true);
    if (state.unanswered) return { ok: false, error: state.note };
    if (state.skip !== null) return { ok: true, unchanged: `skipped: ${state.skip}` };
  }
  const result = await exec.run(withSudo(argv, spec, exec), {
    ...runOptions(spec),
    ownGroup: true,
    ...(spec.sensitive ? {} : { onLine: (line: string) => ctx.progress(line) }),
  });
  if (result.code !== 0) return { ok: false, error: failure(spec, result) };
  return { ok: true };
}

/** How many resources had changed in the run when each command's guards were read. */
function changedWhenRead(ctx: ResourceContext): Map<CommandSpec, number> {
  return ctx.once("command:changedWhenRead", () => new Map<CommandSpec, number>());
}

/** How many commands' guards run at once when a batch is read. */
const GUARD_CONCURRENCY = 4;

/** `fn` of every item, at most `limit` at a time; the results in the items' order. */
async function mapBounded<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The `command` resource kind. */
export const command: ResourceKind<CommandSpec, CommandState> = {
  name: "command",
  id: (spec) => `command[${spec.name ?? commandText(spec.command)}]`,
  check: commandProblems,
  read(specs, probe, ctx) {
    for (const spec of specs) changedWhenRead(ctx).set(spec, ctx.changed.size);
    // Nothing changes while a batch is read, so the commands' guards may run side by side.
    return mapBounded(
      specs,
      GUARD_CONCURRENCY,
      (spec) =>
        spec.run_on
          ? Promise.resolve({ skip: "runs only as a handler (run_on)", note: "" })
          : evaluate(spec, probe, ctx.mode === "apply" || spec.plan_guards),
    );
  },
  diff(spec, current) {
    if (current.skip !== null) return [];
    if (current.unanswered) {
      return [{ field: "run", before: null, after: null, note: current.note, blocked: true }];
    }
    if (spec.sensitive) {
      return [{
        field: "run",
        before: null,
        after: "(sensitive)",
        note: "sensitive: command not shown",
      }];
    }
    const guarded = [spec.creates, spec.unless, spec.onlyif].some((g) => g !== undefined);
    return [{
      field: "run",
      before: null,
      after: commandText(spec.command),
      note: current.note,
      ...(guarded ? { guarded: true } : { everyRun: true }),
    }];
  },
  apply: (items, exec, ctx) =>
    applyEach(items, (spec, changes) => applyOne(spec, exec, ctx, changes)),
  refresh: (spec, _action, exec, ctx) => applyOne(spec, exec, ctx),
};
