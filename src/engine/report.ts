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
  /** Unified diff of the content change, only when asked for (`--diff`). */
  diff?: string;
}

/** A restart or reload run at the end because something a service depends on changed. */
export interface HandlerResult {
  /** The service's id: `service[nginx]`. */
  id: string;
  /** What was run on it. */
  action: "restart" | "reload";
  /** Ids of the changed resources that called for it. */
  triggeredBy: string[];
  /** "changed" when the restart or reload succeeded (in a plan: would run). */
  status: "changed" | "failed";
  /** Why it failed. */
  error?: string;
  /** Time it took, in milliseconds. */
  durationMs: number;
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
  /** One entry per resource, in run order. */
  resources: ResourceResult[];
  /** Restarts and reloads run at the end, in order. */
  handlers: HandlerResult[];
  /** Counts by status over resources and handlers. */
  totals: Totals;
  /** "ok" when nothing failed; "interrupted" when a signal stopped the run early. */
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
