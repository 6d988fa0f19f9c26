/**
 * The use cases behind `cm health` and `cm rollback`: health checks on
 * demand, and a run's snapshot restored by hand.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { HealthRecord, RollbackRecord, RunReport } from "../engine/report.ts";
import type { RunEvents } from "../engine/run.ts";
import { UsageError } from "../errors.ts";
import { acquireLock } from "../state/lock.ts";
import { statePaths } from "../state/paths.ts";
import { listSnapshots, readManifest, snapshotsDir } from "../state/snapshots.ts";
import { readRun, writeRun } from "../state/store.ts";
import { appliedCookbooks, cookbookOf, DEFAULT_LOCK_TIMEOUT } from "./converge.ts";
import { rollback } from "./rollback.ts";
import { checkHealth } from "./verify.ts";
import { recordRollback } from "./rollback_count.ts";

/**
 * Runs the `health:` checks of `files` (default: the last applied cookbooks)
 * now (read only: no lock taken).
 *
 * @throws {CookbookError} when the cookbooks do not load
 * @throws {UsageError} when none are named and none were applied yet
 */
export async function healthNow(
  files: string[],
  exec: Executor,
  stateDir?: string,
): Promise<HealthRecord> {
  const chosen = files.length ? files : appliedCookbooks(exec, statePaths(stateDir));
  const cookbook = await cookbookOf(chosen, exec, stateDir);
  return await checkHealth(cookbook.health, [], exec);
}

/** How to roll back by hand. */
export interface RollbackRunOptions {
  stateDir?: string;
  /** Seconds to wait for the run lock (default {@link DEFAULT_LOCK_TIMEOUT}). */
  lockTimeout?: number;
  events?: RunEvents;
}

/**
 * Restores the snapshot of run `runId` (or a unique prefix; the newest
 * snapshot when omitted) under the run lock, then checks the health of the
 * cookbooks that run applied (none when they no longer load). The run's
 * report (null when it was not kept) records the rollback, and the state counts it.
 *
 * @throws {UsageError} when there is no such snapshot, or the run was
 *   already rolled back (a rollback that failed may be tried again)
 * @throws {LockTimeoutError} when another run keeps the lock past the timeout
 */
export async function rollbackRun(
  runId: string | undefined,
  exec: Executor,
  options: RollbackRunOptions = {},
): Promise<{ record: RollbackRecord; report: RunReport | null }> {
  const paths = statePaths(options.stateDir);
  const dir = snapshotsDir(paths.dir);
  const ids = listSnapshots(dir);
  const matches = runId === undefined ? ids.slice(-1) : ids.filter((id) => id.startsWith(runId));
  if (matches.length !== 1) {
    throw new UsageError(
      runId === undefined
        ? `no snapshot to roll back to in ${dir}: no run has changed anything yet`
        : `expected the id of one run with a snapshot, got "${runId}" (${matches.length} match; cm history lists runs)`,
    );
  }
  using _lock = await acquireLock(
    paths.lock,
    (options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT) * 1000,
    "cm rollback",
  );
  const manifest = readManifest(exec, dir, matches[0]);
  if (!manifest) throw new UsageError(`the snapshot of run "${matches[0]}" cannot be read`);
  const report = readRun(exec, paths, manifest.runId);
  if (report?.rollback?.ok) {
    throw new UsageError(
      `run "${report.id}" was already rolled back: nothing left to undo (cm show-run ${report.id})`,
    );
  }
  const files = report?.cookbooks ?? [];
  const health = files.length
    ? await cookbookOf(files, exec, paths.dir).then((c) => c.health, () => [])
    : [];
  const record = await rollback(manifest, exec, {
    stateDir: paths.dir,
    health,
    events: options.events,
  });
  if (report) {
    // The run's report says it was rolled back; metrics count it.
    report.rollback = record;
    writeRun(exec, paths, report);
    recordRollback(exec, paths, report, options.events);
  }
  return { record, report };
}
