/**
 * `cm sync`: pull the cookbook repository and converge this node, once or in
 * a foreground loop.
 *
 * @module
 */
import type { Command } from "commander";
import { DEFAULT_LOCK_TIMEOUT } from "../../app/converge.ts";
import type { Executor } from "../../exec/executor.ts";
import { errorMessage } from "../../errors.ts";
import type { SyncSettings } from "../../sync/config.ts";
import { syncLoop } from "../../sync/loop.ts";
import { timerMismatch } from "../../sync/timer.ts";
import { EXIT, exitCodeOf, syncExitCode } from "../exit.ts";
import { type Printer, printReport, runEvents, terminalPrinter } from "../output.ts";
import { type SignalWatch, watchSignals } from "../signals.ts";
import { type Deps, examples, seconds, stateDirOption, verbosity } from "../_common.ts";
import { configOption, flagsOf, nodeConfig } from "./_sync_flags.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `cm sync` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("sync")
    .description(
      "pull the cookbook repository and converge this node; keeps the last good commit when the new one is bad",
    )
    .option(
      "--once",
      "sync once and exit (what the systemd timer runs); default: loop every --interval",
    )
    .option("--repo <url>", "git URL of the cookbook repository (overrides repo:)")
    .option("--branch <name>", "branch to follow (overrides branch:; default main)")
    .option(
      "--cookbook <path>",
      "cookbook inside the repository, repeatable (default nodes/<hostname>.yaml, else default.yaml)",
      collect,
    )
    .addOption(configOption())
    .addOption(stateDirOption())
    .option(
      "--only-if-changed",
      "apply only when the commit changed (default: converge on every run)",
    )
    .option(
      "--interval <seconds>",
      "seconds between syncs in the loop (default 300; 30s, 5m, 1h)",
      seconds,
    )
    .option(
      "--splay <seconds>",
      "random delay up to this before each sync in the loop (default 60)",
      seconds,
    )
    .option("--credentials <file>", "root-only file with an SSH private key or an HTTPS token")
    .option(
      "--verify-signatures",
      "refuse commits whose signature does not verify against --trusted-keys",
    )
    .option("--trusted-keys <file>", "SSH allowed signers file or GPG keyring")
    .option(
      "--lock-timeout <seconds>",
      "wait this long for another run's lock",
      seconds,
      DEFAULT_LOCK_TIMEOUT,
    )
    .option("--json", "print each apply report as JSON on stdout")
    .option("-q, --quiet", "print only failures and sync notices")
    .option("-v, --verbose", "also print unchanged resources")
    .addHelpText(
      "after",
      `
Exit codes: 0 synced and converged; 1 a resource failed; 2 usage, configuration
or credentials error; 3 another run holds the lock; 4 the fetch failed or the
new commit was refused (bad signature, invalid cookbooks): the last good commit
was kept and converged again.
${
        examples([
          "cm sync --once",
          "cm sync --once --repo https://git.example.com/ops/cookbooks.git --branch main --cookbook web.yaml",
          "cm sync --once --repo file:///srv/cookbooks.git --state-dir /tmp/cm --only-if-changed",
          "cm sync --interval 5m --splay 60   # foreground loop",
        ])
      }`,
    )
    .action(async (opts) => {
      const settings = (await nodeConfig()).resolveSettings(deps.exec, flagsOf(opts));
      const printer = terminalPrinter(verbosity(opts), false);
      const mismatch = opts.interval === undefined && opts.splay === undefined &&
        timerMismatch(deps.exec, settings);
      if (mismatch) printer.err(`warning: ${mismatch}`);
      const once = () => syncCommand(settings, deps.exec, printer, opts);
      if (opts.once) return deps.setCode(await once());
      printer.err(
        `sync: every ${settings.interval} s with a random delay up to ${settings.splay} s (Ctrl-C stops)`,
      );
      deps.setCode(
        await syncLoop(once, settings.interval, settings.splay, {
          onError: (error) => {
            if (exitCodeOf(error) === EXIT.bug) throw error;
            printer.err(`sync: ${errorMessage(error)}`);
          },
        }),
      );
    });
}

/** One sync, printed as it goes; resolves to its exit code. */
async function syncCommand(
  settings: SyncSettings,
  exec: Executor,
  printer: Printer,
  opts: { stateDir?: string; onlyIfChanged?: boolean; lockTimeout?: number; json?: boolean },
): Promise<number> {
  const { syncOnce } = await import("../../sync/sync.ts");
  const json = !!opts.json;
  let signals: SignalWatch | undefined;
  const outcome = await syncOnce(settings, exec, {
    stateDir: opts.stateDir,
    onlyIfChanged: !!opts.onlyIfChanged,
    lockTimeout: opts.lockTimeout,
    events: {
      note: (line) => printer.err(`sync: ${line}`),
      problem: (line) => printer.err(line),
      run: runEvents(printer, { plan: false, json }),
    },
    interrupts: () => signals = watchSignals((line) => printer.err(line)),
  });
  if (outcome.report) printReport(printer, outcome.report, { json });
  return syncExitCode(outcome, signals?.exitCode());
}
