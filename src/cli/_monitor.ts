/**
 * The monitoring step every run command ends with: settings from the node
 * configuration, warnings printed, never an exit code.
 *
 * @module
 */
import { printable } from "../exec/output.ts";
import type { Executor, Probe } from "../exec/executor.ts";
import {
  type MonitorSettings,
  monitorSettings,
  observeRun,
  type RunOutcome,
} from "../monitor/observe.ts";
import type { Printer } from "./output.ts";

/**
 * Monitoring settings from the node configuration (`configFlag`, else
 * `CM_CONFIG`, else the default path; a missing default file is fine).
 *
 * @throws {ConfigError} for problems in the file, before anything runs
 */
export async function monitorFor(
  probe: Probe,
  stateDir?: string,
  configFlag?: string,
): Promise<MonitorSettings> {
  const { readNodeConfig } = await import("../sync/config.ts");
  return monitorSettings(readNodeConfig(probe, configFlag).config, stateDir);
}

/** Prints monitoring warnings: `warning: ...` on stderr. */
export function printWarnings(printer: Printer, warnings: string[]): void {
  for (const w of warnings) printer.err(`warning: ${w}`);
}

/**
 * After a run: says which resources it found drifted (changed outside cm)
 * and repaired, then audits, alerts and writes metrics, printing warnings.
 */
export async function afterRun(
  exec: Executor,
  printer: Printer,
  outcome: RunOutcome,
  monitor: MonitorSettings,
): Promise<void> {
  const drifted = outcome.report?.resources.filter((r) => r.drift).map((r) => r.id) ?? [];
  if (drifted.length) {
    // Part of the run's report (stdout, like its summary); a security event, so a warning.
    printer.out(
      printable(
        `drift: repaired ${drifted.length} resource(s) changed outside cm: ${drifted.join(", ")}`,
      ),
      "warning",
    );
  }
  printWarnings(printer, await observeRun(exec, outcome, monitor));
}
