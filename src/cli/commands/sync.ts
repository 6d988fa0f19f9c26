/**
 * `cm sync`: pull the cookbook repository and converge this node, once or in
 * a foreground loop.
 *
 * @module
 */
import { printable } from "../../exec/output.ts";
import type { Executor } from "../../exec/executor.ts";
import { errorMessage } from "../../errors.ts";
import { resolveSettings, type SyncFlags, type SyncSettings } from "../../sync/config.ts";
import { syncLoop } from "../../sync/loop.ts";
import { timerMismatch } from "../../sync/timer.ts";
import { EXIT, exitCodeOf, syncExitCode } from "../exit.ts";
import { type Printer, printReport, runEvents, terminalPrinter } from "../output.ts";
import { type SignalWatch, stopAtOnce, watchSignals } from "../signals.ts";
import type { OptionSpec } from "../args.ts";
import {
  type Command,
  examples,
  LOCK_TIMEOUT_OPTION,
  quietOption,
  seconds,
  stateDirOption,
  VERBOSE_OPTION,
  verbosity,
} from "../_common.ts";
import { CONFIG_OPTION, flagsOf } from "./_sync_flags.ts";
import { afterRun, monitorFor } from "../_monitor.ts";

/** `--interval` of sync and timer install (help differs). */
export function intervalOption(help: string): OptionSpec {
  return { flag: "--interval", value: "seconds", help, parse: seconds };
}

/** `--splay` of sync and timer install (help differs). */
export function splayOption(help: string): OptionSpec {
  return { flag: "--splay", value: "seconds", help, parse: seconds };
}

/** The parsed options of `cm sync`. */
type SyncOptions = SyncFlags & {
  once?: boolean;
  check?: boolean;
  detailedExitcodes?: boolean;
  diff?: boolean;
  stateDir?: string;
  onlyIfChanged?: boolean;
  lockTimeout?: number;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
};

/** `cm sync`. */
export const command: Command<SyncOptions> = {
  name: "sync",
  summary:
    "pull the cookbook repository and converge this node; keeps the last good commit when the new one is bad",
  options: [
    {
      flag: "--once",
      help: "sync once and exit (what the systemd timer runs); default: loop every --interval",
    },
    { flag: "--repo", value: "url", help: "git URL of the cookbook repository (overrides repo:)" },
    { flag: "--branch", value: "name", help: "branch to follow (overrides branch:; default main)" },
    {
      flag: "--cookbook",
      value: "path",
      help:
        "cookbook inside the repository, repeatable (default nodes/<fqdn>.yaml, else nodes/<hostname>.yaml, else default.yaml)",
      repeat: true,
    },
    CONFIG_OPTION,
    stateDirOption(),
    {
      flag: "--check",
      help:
        "once: fetch, verify and validate, then plan what the sync would converge; changes nothing, records nothing",
    },
    {
      flag: "--detailed-exitcodes",
      help:
        "exit 0 no changes, 2 changes, 4 failures or the last good commit kept, 6 both (1 usage/cookbook error)",
    },
    {
      flag: "--only-if-changed",
      help: "apply only when the commit changed (default: converge on every run)",
    },
    intervalOption("seconds between syncs in the loop (default 300; 30s, 5m, 1h)"),
    splayOption("random delay up to this before each sync in the loop (default 60)"),
    {
      flag: "--credentials",
      value: "file",
      help: "root-only file with an SSH private key or an HTTPS token",
    },
    {
      flag: "--verify-signatures",
      help: "refuse commits whose signature does not verify against --trusted-keys",
    },
    { flag: "--trusted-keys", value: "file", help: "SSH allowed signers file or GPG keyring" },
    LOCK_TIMEOUT_OPTION,
    { flag: "--diff", help: "show unified diffs of file content" },
    {
      flag: "--json",
      help: "print each apply report (the plan's, with --check) as JSON on stdout",
    },
    quietOption("failures and sync notices"),
    VERBOSE_OPTION,
  ],
  epilog: `
Exit codes: 0 synced and converged; 1 a resource failed; 2 usage, configuration
or credentials error; 3 another run holds the lock; 4 the fetch failed or the
new commit was refused (bad signature, invalid cookbooks): the last good commit
was kept and converged again; 7 cm disable stands (cm sync --check still runs).
With --check the same codes say what a sync would do (1: a resource would fail).
${
    examples([
      "cm sync --once",
      "cm sync --check --diff   # what the next sync would change, changes nothing",
      "cm sync --check --detailed-exitcodes   # 2: the next sync would change something",
      "cm sync --once --repo https://git.example.com/ops/cookbooks.git --branch main --cookbook web.yaml",
      "cm sync --once --repo file:///srv/cookbooks.git --state-dir /tmp/cm --only-if-changed",
      "cm sync --interval 5m --splay 60   # foreground loop",
    ])
  }`,
  async run(_, opts, { exec }) {
    // A check changes nothing: it reads the cached node configuration but does not write it.
    const settings = await resolveSettings(exec, flagsOf(opts), {
      stateDir: opts.stateDir,
      ...(opts.check ? {} : { exec }),
    });
    const printer = terminalPrinter(verbosity(opts), !!opts.diff);
    const mismatch = opts.interval === undefined && opts.splay === undefined &&
      timerMismatch(exec, settings);
    if (mismatch) printer.err(`warning: ${mismatch}`);
    const once = () => syncCommand(settings, exec, printer, opts);
    if (opts.once || opts.check) return await once();
    printer.err(
      `sync: every ${settings.interval} s with a random delay up to ${settings.splay} s (Ctrl-C stops)`,
    );
    return await syncLoop(once, settings.interval, settings.splay, {
      onError: (error) => {
        if (exitCodeOf(error) === EXIT.bug) throw error;
        printer.err(`sync: ${printable(errorMessage(error))}`, "err");
      },
    });
  },
};

/** One sync (a plan of one, with --check), printed as it goes; resolves to its exit code. */
async function syncCommand(
  settings: SyncSettings,
  exec: Executor,
  printer: Printer,
  opts: Omit<SyncOptions, keyof SyncFlags> & { config?: string },
): Promise<number> {
  const { syncOnce } = await import("../../sync/sync.ts");
  const check = !!opts.check;
  // A check alerts nobody and writes no metrics: it ran nothing.
  const monitor = check ? undefined : await monitorFor(exec, opts.stateDir, opts.config);
  const json = !!opts.json;
  let signals: SignalWatch | undefined;
  // Until the apply watches for signals itself: git at work stops with cm.
  using early = stopAtOnce();
  const outcome = await syncOnce(settings, exec, {
    stateDir: opts.stateDir,
    onlyIfChanged: !!opts.onlyIfChanged,
    lockTimeout: opts.lockTimeout,
    check,
    diff: printer.diff,
    events: {
      note: (line) => printer.err(`sync: ${printable(line)}`),
      warning: (line) => printer.err(`sync: ${printable(line)}`, "warning"),
      problem: (line) => printer.err(printable(line), "warning"),
      run: runEvents(printer, { plan: check, json }),
    },
    interrupts: () => {
      early[Symbol.dispose]();
      return signals = watchSignals((line) => printer.err(line));
    },
  });
  if (outcome.report) printReport(printer, outcome.report, { json });
  if (monitor) {
    await afterRun(exec, printer, { report: outcome.report, sync: outcome.record }, monitor);
  } else printer.err("sync: --check: nothing was changed or recorded");
  return syncExitCode(outcome, { detailed: opts.detailedExitcodes }, signals?.exitCode());
}
