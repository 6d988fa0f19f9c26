/**
 * The monitoring step every run command ends with: settings from the node
 * configuration, warnings printed, never an exit code.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import {
  type MonitorSettings,
  monitorSettings,
  observeRun,
  type RunOutcome,
} from "../monitor/observe.ts";
import type { Printer } from "./output.ts";
import { printable } from "../exec/output.ts";
import { readNodeConfig } from "../sync/node_config.ts";

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
  const { config } = await readNodeConfig(probe, { flag: configFlag, stateDir });
  return monitorSettings(config, stateDir);
}

/**
 * Prints monitoring warnings: `warning: ...` on stderr, at the journal's
 * warning priority, each {@link printable} (they quote paths of the node
 * configuration, which may hold anything).
 */
export function printWarnings(printer: Printer, warnings: string[]): void {
  for (const w of warnings) printer.err(`warning: ${printable(w)}`, "warning");
}

/** After a run: audits, alerts and writes metrics, printing warnings (drift is in the report). */
export async function afterRun(
  exec: Executor,
  printer: Printer,
  outcome: RunOutcome,
  monitor: MonitorSettings,
): Promise<void> {
  printWarnings(printer, await observeRun(exec, outcome, monitor));
}
