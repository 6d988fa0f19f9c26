/**
 * The use cases behind `cm health` and `cm rollback`: health checks on
 * demand, and a run's snapshot restored by hand.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { HealthRecord, RollbackRecord, RunReport } from "../engine/report.ts";
import { hider, hidingEvents, type RunEvents } from "../engine/run.ts";
import { UsageError } from "../errors.ts";
import { takeRunLock } from "./abandoned.ts";
import { idsMatching, type StatePaths, statePaths } from "../state/paths.ts";
import {
  listSnapshots,
  readManifest,
  type SnapshotManifest,
  snapshotsDir,
} from "../state/snapshots.ts";
import { readRun, readState, rootsOf, writeRun } from "../state/store.ts";
import { appliedCookbooks, appliedVarsFile, cookbookOf, DEFAULT_LOCK_TIMEOUT } from "./converge.ts";
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
  const paths = statePaths(stateDir);
  const chosen = files.length ? files : appliedCookbooks(exec, paths);
  const varsFile = files.length ? undefined : appliedVarsFile(exec, paths);
  const cookbook = await cookbookOf(chosen, exec, stateDir, { varsFile });
  return hider(cookbook.secrets ?? [])(await checkHealth(cookbook.health, [], exec));
}

/** A resource a run changed that a later run changed again. */
interface ChangedAgain {
  id: string;
  /** The later run. */
  run: string;
}

/**
 * Each resource `manifest`'s run changed that one of the `later` runs (ids
 * with a snapshot, oldest first) changed again, with that run, unless the
 * later run was rolled back.
 *
 * @throws {UsageError} when a later run's snapshot cannot be read: what it changed is unknown
 */
function changedAgain(
  exec: Executor,
  paths: StatePaths,
  manifest: SnapshotManifest,
  later: string[],
): ChangedAgain[] {
  const dir = snapshotsDir(paths.dir);
  const mine = new Set(manifest.resources.map((r) => r.id));
  return later.filter((run) => !readRun(exec, paths, run)?.rollback?.ok).flatMap((run) => {
    const theirs = readManifest(exec, dir, run);
    if (!theirs) {
      throw new UsageError(
        `cannot roll back run "${manifest.runId}": the snapshot of the later run "${run}" ` +
          `cannot be read, so whether it changed the same resources is unknown: ` +
          `pass --force to put this run's snapshot back anyway`,
      );
    }
    return theirs.resources.filter((r) => mine.has(r.id)).map(({ id }) => ({ id, run }));
  });
}

/** Why run `runId` is not rolled back: the first resources changed again, and the runs to undo first. */
function changedAgainMessage(runId: string, again: ChangedAgain[]): string {
  const ids = [...new Set(again.map((c) => c.id))];
  const runs = [...new Set(again.map((c) => c.run))].reverse();
  const more = ids.length > 3 ? ` and ${ids.length - 3} more` : "";
  return `cannot roll back run "${runId}": later runs changed the same resources again ` +
    `(${ids.slice(0, 3).join(", ")}${more}): roll back ${runs.join(", ")} first, newest first, ` +
    `or pass --force to put this run's snapshot back over theirs`;
}

/**
 * What the next `cm sync` does to a rollback by hand of a run that applied
 * no commit (a `cm apply`) on a node that syncs: sync converges to git, not
 * to the rollback.
 */
export interface Resync {
  /** The commit the last sync converged, if any. */
  commit?: string;
  /** The restored resources the last sync's cookbooks declare: the next sync converges them again. */
  ids: string[];
}

/** {@link Resync} of `record`, or `undefined` when the node never synced. */
function resyncOf(exec: Executor, paths: StatePaths, record: RollbackRecord): Resync | undefined {
  const state = readState(exec, paths);
  if (!state.sync) return undefined;
  const synced = (id: string) => {
    const r = state.resources[id];
    return !!r && rootsOf(r).some((root) => root.startsWith(`${paths.repo}/`));
  };
  const ids = record.restored.map((r) => r.id).filter(synced);
  return { ...(state.sync.commit ? { commit: state.sync.commit } : {}), ids };
}

/** How to roll back by hand. */
export interface RollbackRunOptions {
  stateDir?: string;
  /** Seconds to wait for the run lock (default {@link DEFAULT_LOCK_TIMEOUT}). */
  lockTimeout?: number;
  events?: RunEvents;
  /** Restore even what later runs changed again (see {@link rollbackRun}). */
  force?: boolean;
}

/**
 * Restores the snapshot of run `runId` (or a unique prefix; the newest
 * snapshot when omitted) under the run lock, then checks the health of the
 * cookbooks that run applied (none when they no longer load). The run's
 * report (null when it was not kept) records the rollback, and the state counts it.
 * Like `git revert` of an old commit, an older run is refused while a later
 * run (not itself rolled back) changed one of the same resources again: its
 * snapshot would put back what that run replaced. `force` restores anyway.
 * A run of a `cm sync` commit is quarantined (see `countRollback`); for a run
 * without one on a node that syncs, `resync` says what the next sync puts back.
 *
 * @throws {UsageError} when there is no such snapshot, the run was already
 *   rolled back (a rollback that failed may be tried again), or later runs
 *   changed its resources again or their snapshot cannot be read (without `force`)
 * @throws {LockTimeoutError} when another run keeps the lock past the timeout
 */
export async function rollbackRun(
  runId: string | undefined,
  exec: Executor,
  options: RollbackRunOptions = {},
): Promise<{ record: RollbackRecord; report: RunReport | null; resync?: Resync }> {
  const paths = statePaths(options.stateDir);
  const dir = snapshotsDir(paths.dir);
  const ids = listSnapshots(dir);
  const matches = runId === undefined ? ids.slice(-1) : idsMatching(ids, runId);
  if (matches.length !== 1) {
    throw new UsageError(
      runId === undefined
        ? `no snapshot to roll back to in ${dir}: no run has changed anything yet`
        : `expected the id of one run with a snapshot, got "${runId}" (${matches.length} match; cm history lists runs)`,
    );
  }
  using _lock = await takeRunLock(exec, paths, {
    timeoutMs: (options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT) * 1000,
    command: "cm rollback",
    warn: options.events?.warning,
  });
  const manifest = readManifest(exec, dir, matches[0]);
  if (!manifest) throw new UsageError(`the snapshot of run "${matches[0]}" cannot be read`);
  const report = readRun(exec, paths, manifest.runId);
  if (report?.rollback?.ok) {
    throw new UsageError(
      `run "${report.id}" was already rolled back: nothing left to undo (cm show-run ${report.id})`,
    );
  }
  const later = ids.slice(ids.indexOf(matches[0]) + 1);
  const again = options.force ? [] : changedAgain(exec, paths, manifest, later);
  if (again.length) throw new UsageError(changedAgainMessage(manifest.runId, again));
  const files = report?.cookbooks ?? [];
  const cookbook = files.length
    ? await cookbookOf(files, exec, paths.dir, { varsFile: report?.varsFile }).catch(() => null)
    : null;
  // The node's vars file's values masked, as in the run's own report.
  const hide = hider(cookbook?.secrets ?? []);
  const record = hide(
    await rollback(manifest, exec, {
      stateDir: paths.dir,
      health: cookbook?.health ?? [],
      events: hidingEvents(options.events ?? {}, hide),
    }),
  );
  if (report) {
    // The run's report says it was rolled back; metrics count it.
    report.rollback = record;
    writeRun(exec, paths, report);
    recordRollback(exec, paths, report, options.events, true);
  }
  const resync = report?.commit ? undefined : resyncOf(exec, paths, record);
  return { record, report, ...(resync ? { resync } : {}) };
}
