/**
 * The record of one run: every resource's status, its changes and timings.
 *
 * @module
 */
import type { Change } from "../../resources/resource.ts";
import { isoTime } from "../iso_time.ts";

/** What happened to one resource. */
export type Status = "unchanged" | "changed" | "failed" | "skipped";

/** One resource's line in the report. In a plan, "changed" means "would change". */
export interface ResourceResult {
  /** The resource's id: `file[/etc/nginx/nginx.conf]`. */
  id: string;
  /** The kind's name in the registry: "file", "package", ... */
  kind: string;
  /** What happened (in a plan: what would happen). */
  status: Status;
  /** The differences found (and, in an apply, made); empty when unchanged. */
  changes: Change[];
  /** Why it failed or was skipped. */
  error?: string;
  /** Time spent reading, diffing and applying it, in milliseconds (0.1 ms steps). */
  durationMs: number;
  /** Where it was declared: `file:line:col`. */
  at: string;
  /** A content fingerprint to record (files: sha256), when the kind has one. */
  sha256?: string;
  /**
   * Unified diff of the content change: in an apply always (recorded for
   * `cm show-run`), in a plan with `--diff`; bounded (../engine/diff_budget.ts).
   */
  diff?: string;
  /**
   * Set when the machine had drifted: it changed although the cookbooks asked
   * for the same as in the last run, which had left it converged.
   */
  drift?: true;
}

/** What a handler does: restart or reload a service, run a command. */
export type RefreshAction = "restart" | "reload" | "run";

/** A restart, reload or command run at the end because something it depends on changed. */
export interface HandlerResult {
  /** The service's or command's id: `service[nginx]`. */
  id: string;
  /** What was run on it: a restart or reload of a service, a command run. */
  action: RefreshAction;
  /** Ids of the changed resources that called for it. */
  triggeredBy: string[];
  /** "changed" when the restart or reload succeeded (in a plan: would run). */
  status: "changed" | "failed";
  /** Why it failed. */
  error?: string;
  /** Time it took, in milliseconds. */
  durationMs: number;
  /** Due since an earlier run whose handler failed (ISO time of that run): a retry. */
  pendingSince?: string;
}

/**
 * A handler that was due and failed: kept in the state and retried on every
 * later run until it succeeds (the run fails while it is pending).
 */
export interface PendingRefresh {
  /** What is due: a restart or reload of the service, a command run. */
  action: RefreshAction;
  /** Ids of the changed resources that called for it. */
  triggeredBy: string[];
  /** When it first became due (ISO time of that run). */
  since: string;
  /** Why the last try failed. */
  error?: string;
}

/** Counts by status. */
export interface Totals {
  /** Resources changed (in a plan: that would change). */
  changed: number;
  /** Resources already as the cookbook says. */
  unchanged: number;
  /** Resources and handlers that failed. */
  failed: number;
  /** Resources not run: a requirement failed, or the run was interrupted. */
  skipped: number;
}

/** One health check's outcome, as recorded (src/monitor/health.ts runs them). */
export interface CheckRecord {
  /** `http[http://127.0.0.1/]`, `service[nginx]`...; or the check's `name`. */
  id: string;
  /** Whether the last attempt passed. */
  ok: boolean;
  /** Attempts made, retries included. */
  attempts: number;
  /** What the last attempt saw. */
  detail: string;
  /** Milliseconds from the first attempt to the last one's end. */
  durationMs: number;
}

/** The verify stage of an apply that changed something. */
export interface HealthRecord {
  /** No failure and every check passed. */
  ok: boolean;
  /** Services that failed to start or restart after the change: each fails health. */
  failures: string[];
  /** The checks run (none when a service failure already decided). */
  checks: CheckRecord[];
}

/** What one resource's restore (or a service's refresh after it) did. */
export interface RestoreRecord {
  /** The resource, e.g. `file[/etc/nginx/nginx.conf]`. */
  id: string;
  /** Whether it was put back (or refreshed). */
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
  /** One per resource in the snapshot, in the order restored (the reverse of the run's). */
  restored: RestoreRecord[];
  /** Restarts and reloads of services whose files were restored. */
  refreshed: RestoreRecord[];
  /** Health after the restore. */
  health: HealthRecord;
  /** Milliseconds from the start of the restore to the end of the health checks after it. */
  durationMs: number;
}

/** One run of plan or apply. */
export interface RunReport {
  /** Sorts by time: `20261126T054000Z-1234` (UTC start, then the process id). */
  id: string;
  /** Whether the run only looked or also changed the machine. */
  mode: "plan" | "apply";
  /** Start time, ISO 8601 in UTC. */
  startedAt: string;
  /** Wall-clock duration of the whole run, in milliseconds. */
  durationMs: number;
  /** The cookbook files given, as absolute paths. */
  cookbooks: string[];
  /** The git commit the cookbooks came from, when run by `cm sync`. */
  commit?: string;
  /** The node's vars file the cookbooks were loaded with (its path, never its values). */
  varsFile?: string;
  /** One entry per resource, in run order. */
  resources: ResourceResult[];
  /** Restarts and reloads run at the end, in order. */
  handlers: HandlerResult[];
  /** Counts by status over resources and handlers. */
  totals: Totals;
  /** The verify stage: set when health was checked after a change. */
  health?: HealthRecord;
  /** Set when health failed and the run's snapshot was restored. */
  rollback?: RollbackRecord;
  /**
   * Ids the state knew from earlier applies that the cookbooks no longer
   * declare: reported once (the state then forgets them), nothing removed.
   */
  unmanaged?: string[];
  /** "ok" when nothing failed (health included); "interrupted" when a signal stopped the run early. */
  result: "ok" | "failed" | "interrupted";
  /**
   * Set on an old report whose unchanged resources were dropped to save space
   * (run history retention): how many there were.
   */
  compacted?: { unchanged: number };
}

/** Adds up the statuses of a run's resources and handlers. */
export function totals(resources: ResourceResult[], handlers: HandlerResult[]): Totals {
  const t: Totals = { changed: 0, unchanged: 0, failed: 0, skipped: 0 };
  for (const r of resources) t[r.status]++;
  for (const h of handlers) if (h.status === "failed") t.failed++;
  return t;
}

/** The last run id this process gave out, and how many it gave out in that second. */
let issued = { id: "", count: 0 };

/**
 * A run id that sorts by time, to the second: `20261126T054000Z-1234` (UTC,
 * then the process id). A process that runs again within the same second
 * (`cm watch` repairing, `cm sync --loop`, tests) gets `.2`, `.3`… after it,
 * so no run's report or snapshot replaces another's (`compareRunIds` in
 * src/state/paths.ts sorts `.10` after `.9`).
 */
export function newRunId(now = new Date()): string {
  const id = `${isoTime(now).replace(/[-:]/g, "").replace(/\.\d+/, "")}-${Deno.pid}`;
  issued = { id, count: issued.id === id ? issued.count + 1 : 1 };
  return issued.count > 1 ? `${id}.${issued.count}` : id;
}
