/**
 * cm's metrics in the Prometheus text exposition format, for node_exporter's
 * textfile collector: `cm_` prefix, base units in the names (`_seconds`),
 * `_total` only on counters. Points in time are exported as Unix timestamps
 * (`..._timestamp_seconds`), not as ages: a file written at the end of a run
 * would show a stale age until the next run, while `time() - x` is always
 * current.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { RunReport, Totals } from "../engine/report.ts";

/** node_exporter's textfile collector directory on Debian and Ubuntu. */
export const DEFAULT_TEXTFILE_DIR = "/var/lib/prometheus/node-exporter";

/** The file cm writes there (the collector reads only `*.prom`). */
export const METRICS_FILE = "cm.prom";

/**
 * What cm knows about itself after a run. Every part is optional: a part
 * that is missing (no run yet, sync never used) is left out of the output.
 * Times are Unix seconds; durations seconds; counters are totals since the
 * state directory was created.
 */
export interface Metrics {
  /** cm's version, exported as `cm_build_info{version}`. */
  version?: string;
  lastRun?: {
    /** When the run ended. */
    timestamp: number;
    durationSeconds: number;
    result: "ok" | "failed" | "interrupted";
    resources: Totals;
  };
  /** Resources found different from the cookbooks by the last drift check. */
  driftResources?: number;
  sync?: {
    /** When the last sync ended. */
    timestamp: number;
    ok: boolean;
    /** The commit time of the commit now applied. */
    commitTimestamp?: number;
    /** From the commit time to the end of the run that applied it. */
    commitToAppliedSeconds?: number;
  };
  rollbacks?: { attempted: number; succeeded: number };
  health?: { ok: boolean; checks: number; failed: number };
  pendingRefreshes?: number;
  signatureFailures?: number;
}

/** The `lastRun` part of {@link Metrics} from an applied run's report. */
export function lastRunMetrics(
  report: Pick<RunReport, "startedAt" | "durationMs" | "result" | "totals">,
): NonNullable<Metrics["lastRun"]> {
  const end = Date.parse(report.startedAt) + report.durationMs;
  return {
    timestamp: end / 1000,
    durationSeconds: report.durationMs / 1000,
    result: report.result,
    resources: report.totals,
  };
}

type MetricType = "gauge" | "counter";

interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: { labels?: Record<string, string>; value: number }[];
}

function family(name: string, type: MetricType, help: string, value: number): Family {
  return { name, type, help, samples: [{ value }] };
}

function bool(value: boolean): number {
  return value ? 1 : 0;
}

function runFamilies(run: NonNullable<Metrics["lastRun"]>): Family[] {
  const statuses = ["changed", "unchanged", "failed", "skipped"] as const;
  return [
    family("cm_last_run_timestamp_seconds", "gauge", "When the last run ended.", run.timestamp),
    family(
      "cm_last_run_duration_seconds",
      "gauge",
      "How long the last run took.",
      run.durationSeconds,
    ),
    family(
      "cm_last_run_success",
      "gauge",
      "1 if the last run had no failure.",
      bool(run.result === "ok"),
    ),
    {
      name: "cm_last_run_resources",
      type: "gauge",
      help: "Resources of the last run by status; their sum is the total managed.",
      samples: statuses.map((status) => ({ labels: { status }, value: run.resources[status] })),
    },
  ];
}

function syncFamilies(sync: NonNullable<Metrics["sync"]>): Family[] {
  const out = [
    family("cm_sync_timestamp_seconds", "gauge", "When the last sync ended.", sync.timestamp),
    family(
      "cm_sync_success",
      "gauge",
      "1 if the last sync fetched, verified and applied.",
      bool(sync.ok),
    ),
  ];
  if (sync.commitTimestamp !== undefined) {
    out.push(family(
      "cm_sync_commit_timestamp_seconds",
      "gauge",
      "Commit time of the applied commit; its age is time() minus this.",
      sync.commitTimestamp,
    ));
  }
  if (sync.commitToAppliedSeconds !== undefined) {
    out.push(family(
      "cm_sync_commit_to_applied_seconds",
      "gauge",
      "From the applied commit's time to the end of the run that applied it.",
      sync.commitToAppliedSeconds,
    ));
  }
  return out;
}

/** The metric families of `m`, in output order. */
export function metricFamilies(m: Metrics): Family[] {
  const out: Family[] = [];
  if (m.version !== undefined) {
    out.push({
      name: "cm_build_info",
      type: "gauge",
      help: "cm's version, always 1.",
      samples: [{ labels: { version: m.version }, value: 1 }],
    });
  }
  if (m.lastRun) out.push(...runFamilies(m.lastRun));
  if (m.driftResources !== undefined) {
    out.push(
      family(
        "cm_drift_resources",
        "gauge",
        "Resources drifted at the last check.",
        m.driftResources,
      ),
    );
  }
  if (m.sync) out.push(...syncFamilies(m.sync));
  if (m.rollbacks) {
    out.push(
      family(
        "cm_rollbacks_attempted_total",
        "counter",
        "Automatic and manual rollbacks started.",
        m.rollbacks.attempted,
      ),
      family(
        "cm_rollbacks_succeeded_total",
        "counter",
        "Rollbacks after which health passed.",
        m.rollbacks.succeeded,
      ),
    );
  }
  if (m.health) {
    out.push(
      family("cm_health_success", "gauge", "1 if every health check passed.", bool(m.health.ok)),
      family("cm_health_checks", "gauge", "Health checks run last.", m.health.checks),
      family(
        "cm_health_checks_failed",
        "gauge",
        "Health checks that failed last.",
        m.health.failed,
      ),
    );
  }
  if (m.pendingRefreshes !== undefined) {
    out.push(
      family(
        "cm_pending_refreshes",
        "gauge",
        "Restarts or reloads still owed.",
        m.pendingRefreshes,
      ),
    );
  }
  if (m.signatureFailures !== undefined) {
    out.push(family(
      "cm_signature_failures_total",
      "counter",
      "Commits refused because their signature did not verify.",
      m.signatureFailures,
    ));
  }
  return out;
}

function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function sampleLine(
  name: string,
  labels: Record<string, string> | undefined,
  value: number,
): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}="${labelValue(v)}"`);
  const text = Number.isFinite(value)
    ? String(value)
    : Number.isNaN(value)
    ? "NaN"
    : value > 0
    ? "+Inf"
    : "-Inf";
  return `${name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${text}`;
}

/** Renders `m` in the Prometheus text exposition format (0.0.4), ending in a newline. */
export function renderMetrics(m: Metrics): string {
  const lines: string[] = [];
  for (const f of metricFamilies(m)) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(sampleLine(f.name, s.labels, s.value));
  }
  return lines.map((line) => `${line}\n`).join("");
}

/**
 * Writes the rendered metrics to `DIR/cm.prom` atomically (temp file, fsync,
 * rename: the collector never reads half a file), mode 0644, creating `dir`
 * when missing. Returns the file's path; throws what the Executor throws.
 */
export function writeMetrics(exec: Executor, m: Metrics, dir = DEFAULT_TEXTFILE_DIR): string {
  if (!exec.stat(dir)) exec.mkdir(dir, { mode: 0o755 });
  const path = `${dir.replace(/\/+$/, "")}/${METRICS_FILE}`;
  exec.writeFile(path, new TextEncoder().encode(renderMetrics(m)), { mode: 0o644 });
  return path;
}
