/**
 * The record of one run: every resource's status, its changes and timings.
 *
 * @module
 */
import type { Change } from "../../resources/resource.ts";

/** What happened to one resource. */
export type Status = "unchanged" | "changed" | "failed" | "skipped";

/** One resource's line in the report. In a plan, "changed" means "would change". */
export interface ResourceResult {
  id: string;
  kind: string;
  status: Status;
  changes: Change[];
  /** Why it failed or was skipped. */
  error?: string;
  durationMs: number;
  /** Where it was declared: `file:line:col`. */
  at: string;
  /** A content fingerprint to record (files: sha256), when the kind has one. */
  sha256?: string;
  /** Unified diff of the content change, only when asked for (`--diff`). */
  diff?: string;
}

/** A restart or reload run at the end because something a service depends on changed. */
export interface HandlerResult {
  id: string;
  action: "restart" | "reload";
  triggeredBy: string[];
  status: "changed" | "failed";
  error?: string;
  durationMs: number;
}

/** Counts by status. */
export interface Totals {
  changed: number;
  unchanged: number;
  failed: number;
  skipped: number;
}

/** One health check's outcome, as recorded (src/monitor/health.ts runs them). */
export interface CheckRecord {
  /** `http[http://127.0.0.1/]`, `service[nginx]`...; or the check's `name`. */
  id: string;
  ok: boolean;
  attempts: number;
  /** What the last attempt saw. */
  detail: string;
  durationMs: number;
}

/** The verify stage of an apply that changed something. */
export interface HealthRecord {
  ok: boolean;
  /** Services that failed to start or restart after the change: each fails health. */
  failures: string[];
  /** The checks run (none when a service failure already decided). */
  checks: CheckRecord[];
}

/** What one resource's restore (or a service's refresh after it) did. */
export interface RestoreRecord {
  id: string;
  ok: boolean;
  /** What could not be put back, e.g. a package version apt no longer offers. */
  error?: string;
}

/** The rollback stage: the snapshot of the run restored after health failed. */
export interface RollbackRecord {
  /** Every restore succeeded and health passed again. */
  ok: boolean;
  /** The run whose snapshot was restored. */
  runId: string;
  restored: RestoreRecord[];
  /** Restarts and reloads of services whose files were restored. */
  refreshed: RestoreRecord[];
  /** Health after the restore. */
  health: HealthRecord;
  durationMs: number;
}

/** One run of plan or apply. */
export interface RunReport {
  id: string;
  mode: "plan" | "apply";
  startedAt: string;
  durationMs: number;
  cookbooks: string[];
  /** The git commit the cookbooks came from, when run by `cm sync`. */
  commit?: string;
  resources: ResourceResult[];
  handlers: HandlerResult[];
  totals: Totals;
  /** The verify stage: set when health was checked after a change. */
  health?: HealthRecord;
  /** Set when health failed and the run's snapshot was restored. */
  rollback?: RollbackRecord;
  /** "ok" when nothing failed (health included); "interrupted" when a signal stopped the run early. */
  result: "ok" | "failed" | "interrupted";
}

/** Adds up the statuses of a run's resources and handlers. */
export function totals(resources: ResourceResult[], handlers: HandlerResult[]): Totals {
  const t: Totals = { changed: 0, unchanged: 0, failed: 0, skipped: 0 };
  for (const r of resources) t[r.status]++;
  for (const h of handlers) if (h.status === "failed") t.failed++;
  return t;
}

/** A run id that sorts by time: `20261126T054000Z-1234`. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "")}-${Deno.pid}`;
}
