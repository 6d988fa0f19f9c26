/**
 * What every run leaves behind for the people watching the machine: the
 * audit trail of its changes, alerts (failures, drift, recoveries), and the
 * metrics textfile. Called after apply, sync, drift and watch; nothing here
 * ever fails the run: each problem comes back as a warning.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import type { RunReport } from "../engine/report.ts";
import { DEFAULT_STATE_DIR, type StatePaths, statePaths } from "../state/paths.ts";
import { keptWords, readState, type SyncRecord } from "../state/store.ts";
import { driftProblem } from "../state/shapes.ts";
import { plannedDrift } from "../state/drift.ts";
import { errorMessage } from "../errors.ts";
import { VERSION } from "../version.ts";
import { appendAudit, auditEntries, DEFAULT_AUDIT_LOG, journalAudit } from "./audit.ts";
import type { AlertProblem } from "./alerts.ts";
import { DEFAULT_ALERTS_PATH, readAlertConfig } from "./alert_config.ts";
import { DEFAULT_TEXTFILE_DIR, lastRunMetrics, type Metrics, writeMetrics } from "./metrics.ts";
import { HEALTH_ALERT_KEY, healthProblem, runProblems } from "./problems.ts";

/** The monitoring fields of the node configuration (`src/sync/config.ts`). */
export interface MonitorConfig {
  metrics_dir?: string;
  alerts?: string;
  audit_log?: string;
}

/**
 * Where monitoring output goes. With the default state directory: the system
 * paths and the journal; with another one (a sandbox, a test) everything
 * defaults to inside it and nothing goes to the journal.
 */
export interface MonitorSettings {
  paths: StatePaths;
  /** Textfile collector directory; metrics are skipped while it does not exist. */
  metricsDir: string;
  /** Root-only alert targets file; alerts are off while it does not exist. */
  alertsFile: string;
  /**
   * Which of the two the node configuration names: one named there that is
   * missing is a mistake (a typo would silence metrics or alerts for good),
   * warned of on every run; a missing default is a node without them.
   */
  named: { metricsDir: boolean; alertsFile: boolean };
  auditLog: string;
  journal: boolean;
  host: string;
}

/** The drift file's name in the state directory: what the last run or check found drifted. */
export const DRIFT_FILE = "drift.json";

/** What {@link DRIFT_FILE} holds. */
export interface DriftRecord {
  /** When it was found (ISO): the first run or check of those that found the same (or nothing). */
  at: string;
  /** "run": found and repaired by a run; "check": found by `cm drift`, not repaired. */
  by: "run" | "check";
  resources: string[];
}

/** Monitoring settings from the node configuration's fields and the state directory flag. */
export function monitorSettings(config: MonitorConfig, stateDir?: string): MonitorSettings {
  const paths = statePaths(stateDir);
  const system = paths.dir === DEFAULT_STATE_DIR;
  return {
    paths,
    metricsDir: config.metrics_dir ??
      (system ? DEFAULT_TEXTFILE_DIR : `${paths.dir}/node-exporter`),
    alertsFile: config.alerts ?? (system ? DEFAULT_ALERTS_PATH : `${paths.dir}/alerts.yaml`),
    auditLog: config.audit_log ?? (system ? DEFAULT_AUDIT_LOG : `${paths.dir}/audit.log`),
    named: {
      metricsDir: config.metrics_dir !== undefined,
      alertsFile: config.alerts !== undefined,
    },
    journal: system,
    host: Deno.hostname(),
  };
}

function readDrift(probe: Probe, paths: StatePaths): DriftRecord | null {
  const text = probe.readText(`${paths.dir}/${DRIFT_FILE}`);
  if (text === null) return null;
  try {
    const record = JSON.parse(text);
    return driftProblem(record) ? null : record;
  } catch {
    return null;
  }
}

/** Records what a run found drifted, unless the record already says so (no write on a no-op). */
function writeDrift(exec: Executor, paths: StatePaths, record: DriftRecord): void {
  const last = readDrift(exec, paths);
  if (last?.by === record.by && sameIds(last.resources, record.resources)) return;
  exec.mkdir(paths.dir, { mode: 0o700 });
  exec.writeFile(
    `${paths.dir}/${DRIFT_FILE}`,
    new TextEncoder().encode(JSON.stringify(record) + "\n"),
    {
      mode: 0o600,
    },
  );
}

function sameIds(a: unknown, b: string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((id, i) => id === b[i]);
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

/**
 * Everything cm knows about itself from the state directory: the last run,
 * the last drift found, the last sync (commit time, signature failures).
 * Throws {@link StateError} for an unreadable state file.
 */
export function collectMetrics(probe: Probe, paths: StatePaths): Metrics {
  const state = readState(probe, paths);
  const metrics: Metrics = { version: VERSION };
  const run = state.lastRun;
  if (run?.totals && run.durationMs !== undefined) {
    metrics.lastRun = lastRunMetrics({
      startedAt: run.at,
      durationMs: run.durationMs,
      result: run.result as RunReport["result"],
      totals: run.totals,
    });
  }
  const drift = readDrift(probe, paths);
  if (drift) metrics.driftResources = drift.resources.length;
  if (state.rollbacks) metrics.rollbacks = state.rollbacks;
  metrics.pendingRefreshes = Object.keys(state.pending ?? {}).length;
  if (run?.health) metrics.health = run.health;
  const sync = state.sync;
  if (sync) {
    const applied = sync.runId && run?.id === sync.runId && run.durationMs !== undefined
      ? seconds(run.at) + run.durationMs / 1000
      : undefined;
    const commitTime = sync.commitTime ? seconds(sync.commitTime) : undefined;
    metrics.sync = {
      timestamp: seconds(sync.lastSyncAt),
      ok: sync.result === "applied" || sync.result === "converged" || sync.result === "skipped",
      ...(commitTime !== undefined ? { commitTimestamp: commitTime } : {}),
      ...(commitTime !== undefined && applied !== undefined && sync.result === "applied"
        ? { commitToAppliedSeconds: applied - commitTime }
        : {}),
    };
    metrics.signatureFailures = sync.signatureFailures ?? 0;
  }
  return metrics;
}

/**
 * Writes the metrics textfile unless its directory does not exist; the path written, or null.
 *
 * @throws {Error} when the node configuration's metrics_dir is not a directory
 */
export function writeMetricsFile(exec: Executor, settings: MonitorSettings): string | null {
  if (exec.stat(settings.metricsDir)?.kind !== "directory") {
    if (!settings.named.metricsDir) return null;
    throw new Error(
      `cannot write metrics: metrics_dir "${settings.metricsDir}" of the node configuration is not a directory`,
    );
  }
  return writeMetrics(exec, collectMetrics(exec, settings.paths), settings.metricsDir);
}

function driftProblems(ids: string[], how: string): AlertProblem[] {
  return ids.map((id) => ({
    key: `drift:${id}`,
    severity: "warning" as const,
    summary: `${id} was changed outside cm (${how})`,
  }));
}

/**
 * One alerting pass over the problems `owned` key prefixes cover: problems
 * still open under other prefixes (another kind of pass) are carried over
 * untouched, so this pass never declares them recovered. Problems keyed in
 * `resolved` are raised and then closed (a failure the run already undid).
 */
async function alertPass(
  exec: Executor,
  settings: MonitorSettings,
  problems: AlertProblem[],
  owned: string[],
  resolved: string[] = [],
): Promise<string | null> {
  const config = await readAlertConfig(exec, settings.alertsFile, undefined, {
    exec,
    path: settings.paths.alertConfig,
  });
  if (!config) {
    return settings.named.alertsFile
      ? `no alert sent: alerts file "${settings.alertsFile}" of the node configuration does not exist`
      : null;
  }
  // The alert state and the senders (curl, sendmail) load only when alerts are configured.
  const { alert, ALERT_STATE_FILE, readAlertState } = await import("./alerts.ts");
  const statePath = `${settings.paths.dir}/${ALERT_STATE_FILE}`;
  const others = Object.entries(readAlertState(exec, statePath).open)
    .filter(([key]) => !owned.some((prefix) => key.startsWith(prefix)))
    .map(([key, p]) => ({ key, severity: p.severity, summary: p.summary }));
  const open = [...problems, ...others];
  const deliveries = await alert(exec, config, statePath, open, settings.host);
  if (resolved.length) {
    const left = open.filter((p) => !resolved.includes(p.key));
    deliveries.push(...await alert(exec, config, statePath, left, settings.host));
  }
  const failed = deliveries.filter((d) => d.error);
  return failed.length
    ? failed.map((d) => `alert to "${d.target}" not delivered (kept for the next run): ${d.error}`)
      .join("; ")
    : null;
}

/** The step that writes the metrics file (what it throws becomes a warning). */
function metricsStep(exec: Executor, settings: MonitorSettings): () => null {
  return () => {
    writeMetricsFile(exec, settings);
    return null;
  };
}

/** Runs each step, turning what it throws or returns into warnings. */
async function steps(...all: (() => Promise<string | null> | string | null)[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const step of all) {
    try {
      const warning = await step();
      if (warning) warnings.push(warning);
    } catch (error) {
      warnings.push(errorMessage(error));
    }
  }
  return warnings;
}

/**
 * The health alert of a run whose checks failed after the apply: raised, and
 * closed again when its rollback made the machine healthy.
 */
function healthAlert(report: RunReport | undefined): {
  problems: AlertProblem[];
  resolved: string[];
} {
  if (report?.health?.ok !== false) return { problems: [], resolved: [] };
  return {
    problems: [healthProblem(report)],
    resolved: report.rollback?.ok ? [HEALTH_ALERT_KEY] : [],
  };
}

/** What a run left to observe: its report when something was applied, the sync's record. */
export interface RunOutcome {
  report?: RunReport;
  sync?: SyncRecord;
}

/** One problem while a sync keeps the last good commit (or fails), keyed on the sync. */
function syncProblems(sync: SyncRecord | undefined): AlertProblem[] {
  if (!sync || (sync.result !== "kept" && sync.result !== "failed")) return [];
  // A quarantined commit was rolled back: the rollback's own alert speaks for it.
  if (sync.quarantined) return [];
  return [{
    key: "sync:",
    severity: sync.result === "failed" ? "critical" : "warning",
    summary: `sync ${sync.result === "kept" ? keptWords(sync) : "failed"}: ${
      sync.reason ?? "no reason recorded"
    }`,
    ...(sync.rejected ? { details: `rejected commit ${sync.rejected}` } : {}),
  }];
}

/**
 * After a run (apply, sync, watch): appends an applied report's changes to
 * the audit log (and the journal), records the drift it repaired, alerts on
 * failures, drift and a refused commit (and their recoveries), writes the
 * metrics. Resolves to warnings.
 */
export async function observeRun(
  exec: Executor,
  outcome: RunOutcome,
  settings: MonitorSettings,
): Promise<string[]> {
  const report = outcome.report;
  const drifted = report?.resources.filter((r) => r.drift).map((r) => r.id) ?? [];
  const entries = report ? auditEntries(report, { drifted: new Set(drifted) }) : [];
  const owned = [
    ...(report ? ["failed:", "handler:", "drift:"] : []),
    ...(report?.health ? [HEALTH_ALERT_KEY] : []),
    ...(outcome.sync ? ["sync:"] : []),
  ];
  const health = healthAlert(report);
  return await steps(
    () => appendAudit(exec, entries, settings.auditLog),
    () => settings.journal ? journalAudit(exec, entries) : null,
    () => {
      if (report) {
        writeDrift(exec, settings.paths, { at: report.startedAt, by: "run", resources: drifted });
      }
      return null;
    },
    () =>
      alertPass(
        exec,
        settings,
        [
          // A rolled-back run's failures are the rollback's one alert (health:), not more.
          ...(report && !report.rollback ? runProblems(report) : []),
          ...driftProblems(drifted, `repaired by run ${report?.id}`),
          ...syncProblems(outcome.sync),
          ...health.problems,
        ],
        owned,
        health.resolved,
      ),
    metricsStep(exec, settings),
  );
}

/**
 * After `cm rollback` of run `report` (which now records the rollback): the
 * health alert of that run, closed when the rollback made it healthy, and the
 * metrics (which count the rollback). Resolves to warnings.
 */
export async function observeRollback(
  exec: Executor,
  report: RunReport | null,
  settings: MonitorSettings,
): Promise<string[]> {
  const health = healthAlert(report ?? undefined);
  return await steps(
    () =>
      health.problems.length
        ? alertPass(exec, settings, health.problems, [HEALTH_ALERT_KEY], health.resolved)
        : null,
    metricsStep(exec, settings),
  );
}

/**
 * After `cm drift` (a plan of the last applied cookbooks): records the
 * drifted resources, alerts on them (and on drift gone), writes the metrics.
 * Resolves to warnings.
 */
export async function observeDrift(
  exec: Executor,
  plan: RunReport,
  settings: MonitorSettings,
): Promise<string[]> {
  const drifted = plannedDrift(plan).map((r) => r.id);
  return await steps(
    () => {
      writeDrift(exec, settings.paths, { at: plan.startedAt, by: "check", resources: drifted });
      return null;
    },
    () => alertPass(exec, settings, driftProblems(drifted, "found by cm drift"), ["drift:"]),
    metricsStep(exec, settings),
  );
}
