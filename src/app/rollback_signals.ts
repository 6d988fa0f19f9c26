/**
 * What an automatic rollback tells the outside: its count in the state (the
 * metrics file, written after every run by src/monitor/observe.ts with the
 * node's configured directory, shows it) and alerts (one problem when health
 * failed, one recovery when the rollback made it healthy again). Drift, watch
 * and the other alert triggers live elsewhere.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { RunReport } from "../engine/report.ts";
import type { RunEvents } from "../engine/run.ts";
import { errorMessage } from "../errors.ts";
import type { AlertProblem, Delivery } from "../monitor/alerts.ts";
import type { StatePaths } from "../state/paths.ts";
import { healthSummary, readState, writeState } from "../state/store.ts";

/** The key of the health problem a rollback raises and its recovery closes. */
export const ROLLBACK_ALERT_KEY = "health:after-apply";

/** The problem of a run whose health failed: why, and what the rollback did. */
export function rollbackProblem(report: RunReport): AlertProblem {
  const health = report.health!;
  const check = health.checks.find((c) => !c.ok);
  const why = health.failures[0] ?? (check ? `${check.id}: ${check.detail}` : "health failed");
  const commit = report.commit ? ` of commit ${report.commit.slice(0, 12)}` : "";
  return {
    key: ROLLBACK_ALERT_KEY,
    severity: "critical",
    summary: `health failed after the apply${commit} (${why}); ${
      report.rollback ? "rolled back" : "not rolled back"
    }`,
    details: `run ${report.id}`,
  };
}

/**
 * Alerts for a run whose health failed: the problem now, and its recovery
 * once the rollback made the machine healthy again. No alert file
 * (`alertsPath`, default /etc/config-manager/alerts.yaml): nothing.
 * A target that fails never throws (it is retried next time).
 */
export async function alertRollback(
  exec: Executor,
  paths: StatePaths,
  report: RunReport,
  host = Deno.hostname(),
  alertsPath?: string,
): Promise<Delivery[]> {
  if (report.health?.ok !== false) return [];
  // zod and the YAML parser load only when there is something to alert: not on a healthy run.
  const { DEFAULT_ALERTS_PATH, readAlertConfig } = await import("../monitor/alert_config.ts");
  const { ALERT_STATE_FILE, alert } = await import("../monitor/alerts.ts");
  const config = readAlertConfig(exec, alertsPath ?? DEFAULT_ALERTS_PATH);
  if (!config) return [];
  const statePath = `${paths.dir}/${ALERT_STATE_FILE}`;
  const raised = await alert(exec, config, statePath, [rollbackProblem(report)], host);
  if (!report.rollback?.ok) return raised;
  return [...raised, ...await alert(exec, config, statePath, [], host)];
}

/**
 * Counts the run's rollback, if it rolled back, in the state (the metrics'
 * `cm_rollbacks_*`); when it is the last run (`cm rollback` of it), its health
 * there becomes the rollback's.
 */
export function countRollback(exec: Executor, paths: StatePaths, report: RunReport): void {
  if (!report.rollback) return;
  const state = readState(exec, paths);
  const counts = state.rollbacks ?? { attempted: 0, succeeded: 0 };
  counts.attempted++;
  if (report.rollback.ok) counts.succeeded++;
  state.rollbacks = counts;
  if (state.lastRun?.id === report.id) state.lastRun.health = healthSummary(report);
  writeState(exec, paths, state);
}

/** The rollback count and alerts after health was checked; their failures are warnings, never the run's. */
export async function signalHealth(
  exec: Executor,
  paths: StatePaths,
  report: RunReport,
  events: RunEvents = {},
): Promise<void> {
  try {
    countRollback(exec, paths, report);
  } catch (error) {
    events.warning?.(`cannot count the rollback: ${errorMessage(error)}`);
  }
  try {
    for (const d of await alertRollback(exec, paths, report)) {
      if (d.error) events.warning?.(`alert to "${d.target}" not delivered: ${d.error}`);
    }
  } catch (error) {
    events.warning?.(`cannot alert: ${errorMessage(error)}`);
  }
}
