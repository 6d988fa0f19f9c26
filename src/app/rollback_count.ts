/**
 * A rollback counted in the state: the metrics' `cm_rollbacks_*` (written
 * after the run by src/monitor/observe.ts, which also raises the health alert).
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { RunReport } from "../engine/report.ts";
import type { RunEvents } from "../engine/run.ts";
import { errorMessage } from "../errors.ts";
import type { StatePaths } from "../state/paths.ts";
import { healthSummary, readState, writeState } from "../state/store.ts";
import { isoTime } from "../iso_time.ts";

/**
 * Counts the run's rollback, if it rolled back, in the state; when it is the
 * last run (`cm rollback` of it), its health there becomes the rollback's;
 * `cm status` shows it as the last rollback. A restart or reload the
 * rollback redid on the restored files settles that service's pending
 * refresh: the next run must not restart it once more; a resource it put
 * back loses its drift mark, so the next run that changes it again is not
 * taken for someone's edit. `byHand` (`cm rollback`) of a run
 * that applied a commit of `cm sync` quarantines that commit as a failed
 * health check would: the next sync would otherwise apply it again and
 * silently undo the rollback.
 *
 * @throws {StateError} when the state cannot be read or written
 */
export function countRollback(
  exec: Executor,
  paths: StatePaths,
  report: RunReport,
  byHand = false,
): void {
  if (!report.rollback) return;
  const state = readState(exec, paths);
  if (byHand && report.commit && state.sync) {
    state.sync.quarantined = {
      commit: report.commit,
      runId: report.id,
      reason: "rolled back by hand (cm rollback)",
    };
  }
  const counts = state.rollbacks ?? { attempted: 0, succeeded: 0 };
  counts.attempted++;
  if (report.rollback.ok) counts.succeeded++;
  state.rollbacks = counts;
  state.lastRollback = {
    runId: report.id,
    at: isoTime(new Date()),
    ok: report.rollback.ok,
    byHand,
  };
  if (state.lastRun?.id === report.id) state.lastRun.health = healthSummary(report);
  for (const r of report.rollback.refreshed) if (r.ok) delete state.pending?.[r.id];
  // What came back no longer holds what its desired digest says: changing it again is no drift.
  for (const r of report.rollback.restored) if (r.ok) delete state.resources[r.id]?.desired;
  if (state.pending && !Object.keys(state.pending).length) delete state.pending;
  writeState(exec, paths, state);
}

/** {@link countRollback}, its failure a warning, never the run's. */
export function recordRollback(
  exec: Executor,
  paths: StatePaths,
  report: RunReport,
  events: RunEvents = {},
  byHand = false,
): void {
  try {
    countRollback(exec, paths, report, byHand);
  } catch (error) {
    events.warning?.(`cannot count the rollback: ${errorMessage(error)}`);
  }
}
