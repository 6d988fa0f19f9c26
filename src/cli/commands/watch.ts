/**
 * `cm watch`: watch the managed files and repair drift within seconds.
 *
 * @module
 */
import type { Executor } from "../../exec/executor.ts";
import { printable } from "../../exec/output.ts";
import { DEFAULT_DEBOUNCE_MS, type Repair, watch } from "../../app/watch.ts";
import type { MonitorSettings } from "../../monitor/observe.ts";
import { printDrift, type Printer, runEvents, terminalPrinter } from "../output.ts";
import { watchSignals } from "../signals.ts";
import {
  type Command,
  examples,
  quietOption,
  seconds,
  stateDirOption,
  VERBOSE_OPTION,
  verbosity,
} from "../_common.ts";
import { EXIT } from "../exit.ts";
import { afterRun, monitorFor } from "../_monitor.ts";
import { CONFIG_OPTION } from "./_sync_flags.ts";

/** `cm watch`. */
export const command: Command<
  { stateDir?: string; config?: string; debounce?: number; quiet?: boolean; verbose?: boolean }
> = {
  name: "watch",
  summary:
    "watch the files the applied cookbooks manage and repair drift within seconds (runs until stopped)",
  argument: {
    name: "cookbook",
    help: "cookbooks to watch (default: those of the last apply or sync)",
    many: true,
    optional: true,
  },
  options: [
    {
      flag: "--debounce",
      value: "seconds",
      help: `wait this long after the last change before repairing (default ${
        DEFAULT_DEBOUNCE_MS / 1000
      })`,
      parse: seconds,
    },
    quietOption("failures and repairs"),
    VERBOSE_OPTION,
    stateDirOption("state, runs and lock directory"),
    CONFIG_OPTION,
  ],
  epilog: examples([
    "cm watch",
    "cm watch --debounce 1 cookbooks/hello-web.yaml",
    "cm timer install --watch   # as the config-manager-watch service",
  ]),
  async run(files, opts, { exec }) {
    const printer = terminalPrinter(verbosity(opts), false);
    const monitor = await monitorFor(exec, opts.stateDir, opts.config);
    await watch(exec, {
      stateDir: opts.stateDir,
      files: files.length ? files : undefined,
      debounceMs: opts.debounce === undefined ? undefined : opts.debounce * 1000,
    }, {
      watching: (paths, cookbooks) =>
        printer.err(`watch: watching ${paths.length} managed path(s) of ${cookbooks.join(", ")}`),
      repaired: (repair) => repaired(exec, printer, repair, monitor),
      refused: (message) => printer.err(`watch: ${printable(message)}`, "warning"),
      interrupts: () => watchSignals((line) => printer.err(line)),
    });
    return EXIT.ok;
  },
};

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
