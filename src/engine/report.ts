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
  /**
   * Ids the state knew from earlier applies that the cookbooks no longer
   * declare: reported once (the state then forgets them), nothing removed.
   */
  unmanaged?: string[];
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
