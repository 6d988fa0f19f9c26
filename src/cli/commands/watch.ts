/**
 * `cm watch`: watch the managed files and repair drift within seconds.
 *
 * @module
 */
import type { Command } from "commander";
import type { Executor } from "../../exec/executor.ts";
import { DEFAULT_DEBOUNCE_MS, type Repair, watch } from "../../app/watch.ts";
import type { MonitorSettings } from "../../monitor/observe.ts";
import { printDrift, type Printer, runEvents, terminalPrinter } from "../output.ts";
import { watchSignals } from "../signals.ts";
import { type Deps, examples, seconds, stateDirOption, verbosity } from "../_common.ts";
import { afterRun, monitorFor } from "../_monitor.ts";
import { configOption } from "./_sync_flags.ts";

/** Adds `cm watch` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("watch")
    .description(
      "watch the files the applied cookbooks manage and repair drift within seconds (runs until stopped)",
    )
    .argument("[cookbook...]", "cookbooks to watch (default: those of the last apply or sync)")
    .option(
      "--debounce <seconds>",
      `wait this long after the last change before repairing (default ${
        DEFAULT_DEBOUNCE_MS / 1000
      })`,
      seconds,
    )
    .option("-q, --quiet", "print only failures and repairs")
    .option("-v, --verbose", "also print unchanged resources")
    .addOption(stateDirOption("state, runs and lock directory"))
    .addOption(configOption())
    .addHelpText(
      "after",
      examples([
        "cm watch",
        "cm watch --debounce 1 cookbooks/hello-web.yaml",
        "cm timer install --watch   # as the config-manager-watch service",
      ]),
    )
    .action(async (files: string[], opts) => {
      const printer = terminalPrinter(verbosity(opts), false);
      const monitor = await monitorFor(deps.exec, opts.stateDir, opts.config);
      await watch(deps.exec, {
        stateDir: opts.stateDir,
        files: files.length ? files : undefined,
        debounceMs: opts.debounce === undefined ? undefined : opts.debounce * 1000,
      }, {
        watching: (paths, cookbooks) =>
          printer.err(`watch: watching ${paths.length} managed path(s) of ${cookbooks.join(", ")}`),
        repaired: (repair) => repaired(deps.exec, printer, repair, monitor),
        interrupts: () => watchSignals((line) => printer.err(line)),
      });
    });
}

/** Prints one repair and its time from detection, then audits, alerts and writes metrics. */
async function repaired(
  exec: Executor,
  printer: Printer,
  repair: Repair,
  monitor: MonitorSettings,
): Promise<void> {
  const { report } = repair;
  const events = runEvents(printer, { plan: false, json: false });
  for (const r of report.resources) events.result?.(r);
  printDrift(printer, report);
  if (report.totals.changed || report.totals.failed) {
    printer.err(
      `watch: ${report.totals.changed} repaired, ${report.totals.failed} failed in ${repair.repairMs} ms from detection (run ${report.id}; changed: ${
        repair.paths.join(", ")
      })`,
    );
  }
  await afterRun(exec, printer, { report }, monitor);
}
