/**
 * What `cm apply` and `cm plan` share: their common flags, and one run of
 * app/converge printed through a Printer and mapped to an exit code.
 *
 * @module
 */
import { converge } from "../../app/converge.ts";
import type { Executor } from "../../exec/executor.ts";
import { reportExitCode } from "../exit.ts";
import { printReport, runEvents, terminalPrinter } from "../output.ts";
import { type SignalWatch, watchSignals } from "../signals.ts";
import type { ArgumentSpec, OptionSpec } from "../args.ts";
import {
  quietOption,
  stateDirOption,
  VARS_FILE_OPTION,
  VERBOSE_OPTION,
  verbosity,
} from "../_common.ts";
import { afterRun } from "../_monitor.ts";
import { monitorSettings } from "../../monitor/observe.ts";
import { readNodeConfig } from "../../sync/node_config.ts";

/**
 * The flags apply and plan share: --diff, --json, -q, -v, --vars-file,
 * --detailed-exitcodes (a clean plan exits 0: drift monitoring), --state-dir.
 */
export const APPLY_LIKE_OPTIONS: OptionSpec[] = [
  { flag: "--diff", help: "show unified diffs of file content" },
  { flag: "--json", help: "print the run report as JSON on stdout" },
  quietOption("failures and the summary of a failed run"),
  VERBOSE_OPTION,
  {
    ...VARS_FILE_OPTION,
    help: `${VARS_FILE_OPTION.help} (default: the node configuration's vars_file)`,
  },
  {
    flag: "--detailed-exitcodes",
    help: "exit 0 no changes, 2 changes, 4 failures, 6 both (1 cookbook/usage error)",
  },
  stateDirOption("state, runs and lock directory"),
];

/** `--facts FILE` of plan and validate. */
export const FACTS_OPTION: OptionSpec = {
  flag: "--facts",
  value: "file",
  help: "use another machine's facts, saved by cm facts --json",
};

/** The operand of apply, plan, validate and health. */
export const COOKBOOKS: ArgumentSpec = {
  name: "cookbook",
  help: "cookbook YAML files",
  many: true,
};

/** The flags of apply and plan, as parsed (keys of {@link APPLY_LIKE_OPTIONS} and the commands' own). */
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
  /** The node's own vars file (node-local secrets). */
  varsFile?: string;
}

/** The facts file of `--facts`; its reader (and the fact tables) load only then. */
async function savedFacts(exec: Executor, path: string) {
  const { readSavedFacts } = await import("../../app/facts.ts");
  return readSavedFacts(exec, path);
}

/**
 * Plans (`--check`) or applies `files` with the node configuration's
 * `vars_file:` unless `--vars-file` names one; prints as it goes; resolves to the exit code.
 *
 * @throws {ConfigError} for problems in the node configuration, before anything runs
 */
export async function convergeCommand(
  files: string[],
  exec: Executor,
  flags: ApplyFlags,
): Promise<number> {
  const printer = terminalPrinter(verbosity(flags), !!flags.diff);
  const plan = !!flags.check;
  const json = !!flags.json;
  let signals: SignalWatch | undefined;
  // A check changes nothing: it reads the cached node configuration but does not write it.
  const { stateDir } = flags;
  const { config } = await readNodeConfig(exec, { stateDir, ...(plan ? {} : { exec }) });
  const monitor = plan ? undefined : monitorSettings(config, flags.stateDir);
  // The node's vars file, as cm sync uses it: the defaults must not replace the node's values.
  // Another node's facts (`--facts`) plan that node, not this one with its secrets.
  const varsFile = flags.varsFile ?? (flags.facts ? undefined : config.vars_file);
  const report = await converge(files, exec, {
    mode: plan ? "plan" : "apply",
    stateDir: flags.stateDir,
    lock: "take",
    lockTimeout: flags.lockTimeout,
    command: "cm apply",
    onLockWait: (message) => printer.err(message),
    diff: printer.diff,
    varsFile,
    events: runEvents(printer, { plan, json }),
    interrupts: () => signals = watchSignals((line) => printer.err(line)),
    ...(flags.facts ? { facts: await savedFacts(exec, flags.facts) } : {}),
  });
  printReport(printer, report, { json });
  if (monitor) await afterRun(exec, printer, { report }, monitor);
  return reportExitCode(report, { detailed: flags.detailedExitcodes }, signals?.exitCode());
}
