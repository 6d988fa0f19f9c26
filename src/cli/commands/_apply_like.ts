/**
 * What `cm apply` and `cm plan` share: their common flags, and one run of
 * app/converge printed through a Printer and mapped to an exit code.
 *
 * @module
 */
import type { Command } from "commander";
import { converge } from "../../app/converge.ts";
import { readSavedFacts } from "../../app/facts.ts";
import type { Executor } from "../../exec/executor.ts";
import { reportExitCode } from "../exit.ts";
import { printReport, runEvents, terminalPrinter } from "../output.ts";
import { type SignalWatch, watchSignals } from "../signals.ts";
import { stateDirOption, verbosity } from "../_common.ts";

/** Adds `name` with the flags apply and plan share: cookbooks, --diff, --json, -q, -v, --state-dir. */
export function applyLike(program: Command, name: string, description: string): Command {
  return program.command(name)
    .description(description)
    .argument("<cookbook...>", "cookbook YAML files")
    .option("--diff", "show unified diffs of file content")
    .option("--json", "print the run report as JSON on stdout")
    .option("-q, --quiet", "print only failures and the summary of a failed run")
    .option("-v, --verbose", "also print unchanged resources")
    .addOption(stateDirOption("state, runs and lock directory"));
}

/** The flags of apply and plan, as commander parsed them. */
export interface ApplyFlags {
  diff?: boolean;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  stateDir?: string;
  check?: boolean;
  detailedExitcodes?: boolean;
  /** Seconds to wait for another run's lock. */
  lockTimeout?: number;
  /** A facts file (`cm facts --json`) to plan with instead of this machine's facts. */
  facts?: string;
}

/** Plans (`--check`) or applies `files`, prints as it goes; resolves to the exit code. */
export async function convergeCommand(
  files: string[],
  exec: Executor,
  flags: ApplyFlags,
): Promise<number> {
  const printer = terminalPrinter(verbosity(flags), !!flags.diff);
  const plan = !!flags.check;
  const json = !!flags.json;
  let signals: SignalWatch | undefined;
  const report = await converge(files, exec, {
    mode: plan ? "plan" : "apply",
    stateDir: flags.stateDir,
    lock: "take",
    lockTimeout: flags.lockTimeout,
    command: "cm apply",
    onLockWait: (message) => printer.err(message),
    diff: printer.diff,
    events: runEvents(printer, { plan, json }),
    interrupts: () => signals = watchSignals((line) => printer.err(line)),
    ...(flags.facts ? { facts: readSavedFacts(exec, flags.facts) } : {}),
  });
  printReport(printer, report, { json });
  return reportExitCode(report, { detailed: flags.detailedExitcodes }, signals?.exitCode());
}
