/**
 * The use case behind `cm apply`, `cm plan` and the apply step of `cm sync`:
 * catalog → load → lock → snapshot + run → verify (→ rollback) → record. It prints nothing and decides no exit
 * code: live output goes out through events, the result is the run report.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import { absolute, type Cookbook } from "../cookbook/cookbook.ts";
import { readCatalog, writeCatalog } from "../state/catalog.ts";
import { type InputsKey, keyingReads } from "../cookbook/catalog.ts";
import { hider, hidingEvents, run, type RunEvents } from "../engine/run.ts";
import { newRunId, type RunReport } from "../engine/report.ts";
import type { LoadOptions } from "../cookbook/load.ts";
import type { SnapshotManifest } from "../state/snapshots.ts";
import { snapshotRecorder } from "./snapshot.ts";
import { changedSomething, checkHealth, rollbackWanted, serviceFailures } from "./verify.ts";
import { recordRollback } from "./rollback_count.ts";
import { DEFAULT_LOCK_TIMEOUT, markRun } from "../state/lock.ts";
import { takeRunLock } from "./abandoned.ts";
import {
  type PriorState,
  readPriorState,
  readState,
  recordRun,
  rootsOf,
  type RunScope,
  unmanagedIds,
} from "../state/store.ts";
import { runIdAfter, type StatePaths, statePaths } from "../state/paths.ts";
import { StateError, UnrecordedRunError, UsageError } from "../errors.ts";
import { refuseWhenDisabled } from "../state/disabled.ts";
import { desiredDigests } from "../state/drift.ts";
import { conflictingClaims } from "../state/claims.ts";
import { collectGarbage, collectLargeHeap } from "../memory.ts";

export { DEFAULT_LOCK_TIMEOUT };

/** A watch for requests to stop, alive while an apply runs (cm's: SIGINT and SIGTERM). */
export interface Interrupts extends Disposable {
  /** A reason ("interrupted by SIGTERM") once a stop was asked for, else undefined. */
  interrupted(): string | undefined;
}

/** How to converge. */
export interface ConvergeOptions {
  /** "plan" reads and diffs only; "apply" changes the machine and records the run. */
  mode: "plan" | "apply";
  /** The state directory (default: `CM_STATE_DIR`, else /var/lib/config-manager). */
  stateDir?: string;
  /** "take": wait for the run lock; "held": the caller holds it already (cm sync). */
  lock: "take" | "held";
  /** Seconds to wait for the lock (default {@link DEFAULT_LOCK_TIMEOUT}). */
  lockTimeout?: number;
  /** Who takes the lock, as waiters see it: "cm apply". */
  command?: string;
  /** Told once when another run holds the lock: "waiting for the run lock held by PID N …". */
  onLockWait?: (message: string) => void;
  /** The git commit the cookbooks came from, recorded in the report and state. */
  commit?: string;
  /**
   * The cookbooks are the node's whole desired state (cm sync): every resource
   * an earlier run managed that they lack is no longer managed. Otherwise only
   * those last applied from these same root cookbooks are (see `RunScope`).
   */
  wholeNode?: boolean;
  /** Put unified diffs of content changes into the results. */
  diff?: boolean;
  /**
   * The node's own vars file (node-local secrets): its values override the
   * cookbooks'; such a run's catalog is sealed (see src/cookbook/catalog.ts).
   */
  varsFile?: string;
  /** Live output: each result, handler, progress line and warning. */
  events?: RunEvents;
  /** Starts watching for stop requests when the apply begins; disposed when it ends. */
  interrupts?: () => Interrupts;
  /** Facts to load the cookbooks with instead of this machine's (the catalog is then bypassed). */
  facts?: Record<string, unknown>;
  /**
   * The health checks the machine met before this run (cm sync: the last good
   * commit's), run after a rollback instead of these cookbooks' own: a check
   * the failed change introduced cannot pass on the state it restores. By
   * default, those the catalog held for the same cookbooks before they changed.
   */
  healthBefore?: Cookbook["health"];
}

/**
 * The cookbooks `files` hold (with the node's vars file, when given): from
 * the catalog at `catalog` while it is fresh (`cached`, with the resources'
 * desired digests), else loaded afresh (zod and the YAML parser imported only
 * then); given facts, always loaded afresh.
 *
 * @throws {CookbookError} when they do not load
 */
export async function loadCached(
  files: string[],
  probe: Probe,
  catalog: string,
  options: LoadOptions = {},
): Promise<Loaded> {
  // Another machine's facts never go into or come from this machine's cache.
  const cacheable = !options.facts;
  const { thawed, health } = cacheable
    ? await readCatalog(probe, catalog, files, options.varsFile)
    : {};
  if (thawed) return { ...thawed, cached: true };
  const { loadCookbooks } = await import("../cookbook/load.ts");
  // The bytes loaded key the catalog: an input edited since must not key this cookbook.
  const reads = cacheable ? keyingReads(probe) : undefined;
  const cookbook = await loadCookbooks(files, reads?.probe ?? probe, options);
  const loadedKey = await reads?.key(cookbook.inputs);
  return { cookbook, cached: false, loadedKey, ...(health ? { healthBefore: health } : {}) };
}

/** Cookbooks as {@link loadCached} gives them. */
export interface Loaded {
  cookbook: Cookbook;
  /** From the catalog (nothing changed since it was written). */
  cached: boolean;
  /** The resources' desired digests, when cached. */
  digests?: Record<string, string>;
  /** Loaded afresh after a change: the health checks the catalog held for the same cookbooks. */
  healthBefore?: Cookbook["health"];
  /**
   * Loaded afresh and cacheable: the key of the bytes the load read (see
   * `keyingReads`, `writeCatalog`); null when one was not read. Absent when
   * the cookbooks must not be cached (given facts).
   */
  loadedKey?: InputsKey | null;
}

/**
 * The cookbooks the state's resources were last applied from, those of the
 * last apply or sync last (what `cm drift`, `cm watch` and `cm health` use when
 * none are named): after `cm apply a.yaml` and `cm apply b.yaml`, both.
 * `nameable`: whether the error may suggest naming cookbooks (not for `cm drift`).
 *
 * @throws {UsageError} when no run was recorded yet
 */
export function appliedCookbooks(
  probe: Probe,
  paths: StatePaths,
  { nameable = true } = {},
): string[] {
  const state = readState(probe, paths);
  const last = state.lastRun?.cookbooks;
  if (!last?.length) {
    throw new UsageError(
      `no applied cookbooks recorded in ${paths.dir}: run cm apply or cm sync first` +
        (nameable ? ", or name the cookbooks" : ""),
    );
  }
  // Cookbooks applied by hand before the last one still hold managed resources; a deleted one no longer does.
  const earlier = new Set(Object.values(state.resources).flatMap(rootsOf));
  return [...[...earlier].filter((root) => !last.includes(root) && probe.stat(root)), ...last];
}

/**
 * The node's vars file the last apply or sync loaded its cookbooks with: the
 * applied cookbooks must be loaded with it again (`cm drift`, `cm watch`,
 * `cm health`), or their defaults would stand in for the node's values.
 */
export function appliedVarsFile(probe: Probe, paths: StatePaths): string | undefined {
  return readState(probe, paths).lastRun?.varsFile;
}

/** The cookbooks `files` from the state directory's catalog when fresh, else loaded afresh. */
export async function cookbookOf(
  files: string[],
  probe: Probe,
  stateDir?: string,
  options: LoadOptions = {},
) {
  return (await loadCached(files, probe, statePaths(stateDir).catalog, options)).cookbook;
}

/**
 * Plans or applies `files` and returns the run report. An apply takes the
 * run lock (unless held), records the run and caches the loaded cookbooks
 * (unless the run was rolled back).
 *
 * @throws {CookbookError} when the cookbooks do not load (nothing was run)
 * @throws {LockTimeoutError} when another run keeps the lock past the timeout
 * @throws {DisabledError} for an apply while `cm disable` stands (nothing was run)
 * @throws {StateError} when the state directory or lock is unusable (nothing was run),
 *   or the run changed nothing and could not be recorded
 * @throws {UnrecordedRunError} when the run changed the machine and could not be recorded
 */
export async function converge(
  files: string[],
  exec: Executor,
  options: ConvergeOptions,
): Promise<RunReport> {
  const paths = statePaths(options.stateDir);
  const events = options.events ?? {};
  // Absolute: cm drift, watch and health load the applied cookbooks with it from any directory.
  const varsFile = options.varsFile === undefined ? undefined : absolute(options.varsFile);
  const { cookbook, cached, digests, healthBefore, loadedKey } = await loadCached(
    files,
    exec,
    paths.catalog,
    { facts: options.facts, varsFile },
  );
  // Loaded afresh: the parser's and the schemas' garbage. (From the catalog there is little.)
  if (!cached) collectGarbage();
  if (options.mode === "plan") {
    // An unreadable state file: nothing pending, nothing unmanaged (the apply says why).
    const { state } = readPriorState(exec, paths);
    const report = await run(cookbook, { mode: "plan", probe: exec }, events, {
      diff: options.diff,
      pending: state.pending ?? {},
    });
    const unmanaged = unmanagedIds(state, report, options.wholeNode ?? false);
    return unmanaged.length ? { ...report, unmanaged } : report;
  }
  const lock = options.lock === "held" ? undefined : await takeRunLock(exec, paths, {
    timeoutMs: (options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT) * 1000,
    command: options.command ?? "cm apply",
    onWait: options.onLockWait,
    warn: events.warning,
  });
  try {
    refuseWhenDisabled(exec, paths, options.command ?? "cm apply");
    using interrupts = options.interrupts?.();
    const prior = readPriorState(exec, paths);
    const id = runIdAfter(newRunId(), prior.state.lastRun?.id);
    // A directory there can be neither set aside nor replaced: the run could change the machine
    // and not be recorded. Refused before any change.
    if (prior.unreadable && exec.stat(paths.state)?.kind === "directory") throw prior.unreadable;
    const snapshots = snapshotRecorder(exec, paths.dir, id, {
      commit: options.commit,
      cookbooks: cookbook.inputs.requested,
    });
    const report = await run(cookbook, { mode: "apply", exec }, events, {
      diff: options.diff,
      interrupted: () => interrupts?.interrupted(),
      id,
      beforeChange: (items) => {
        // Should cm die now, the next run finds this run named in the lock and records it.
        markRun(paths.lock, id);
        return snapshots.beforeChange(items);
      },
      pending: prior.state.pending ?? {},
    });
    // The run's reads of the machine are garbage now; what follows writes its records
    // (a first converge's are large; a no-op's are not worth a full collection).
    if (!cached) collectGarbage();
    if (options.commit) report.commit = options.commit;
    if (varsFile) report.varsFile = varsFile;
    try {
      snapshots.finish(report, cookbook.resources);
    } catch (error) {
      // The manifest in memory is whole, so this run can still roll back; a later
      // `cm rollback` of it would not re-run its handlers.
      if (!(error instanceof StateError)) throw error;
      events.warning?.(`snapshot of run ${id} is incomplete: ${error.message}`);
    }
    await verify(
      cookbook,
      report,
      exec,
      snapshots.manifest,
      paths.dir,
      events,
      options.healthBefore ?? healthBefore,
    );
    const desired = digests ?? await desiredDigests(cookbook);
    // The snapshot's JSON and (on a no-op of many files) the run's reads are garbage now;
    // the state's and the report's JSON are next.
    if (cached) collectLargeHeap();
    else collectGarbage();
    const roots = Object.fromEntries(cookbook.resources.map((r) => [r.id, r.root]));
    const scope = { wholeNode: options.wholeNode ?? false, roots };
    for (const w of conflictingClaims(prior.state.resources, report, desired, scope)) {
      events.warning?.(w);
    }
    const warning = record(exec, paths, report, desired, scope, prior);
    if (warning) events.warning?.(warning);
    if (report.health) recordRollback(exec, paths, report, events);
    // Loaded afresh and cacheable (a key), unless rolled back: a rolled-back run leaves the
    // machine as the catalog's cookbooks made it, whose checks stay "the checks before".
    if (loadedKey !== undefined && !report.rollback) {
      // The state's and the report's JSON are garbage now: the catalog's grows from what is live.
      collectGarbage();
      await writeCatalog(exec, paths.catalog, cookbook, desired, loadedKey);
    }
    return report;
  } finally {
    lock?.release();
  }
}

/**
 * The verify stage: health after an apply that changed something (when the
 * cookbooks have checks or a service failed); when it fails and rollback is
 * wanted, the run's snapshot is restored. Both end up in the report, the
 * node's vars file's values masked as in the run's results.
 */
async function verify(
  cookbook: Cookbook,
  report: RunReport,
  exec: Executor,
  manifest: SnapshotManifest,
  stateDir: string,
  events: RunEvents,
  healthBefore: Cookbook["health"] | undefined,
): Promise<void> {
  const failures = serviceFailures(report);
  if (!changedSomething(report) || (!cookbook.health.length && !failures.length)) return;
  const hide = hider(cookbook.secrets ?? []);
  report.health = hide(await checkHealth(cookbook.health, failures, exec));
  events.health?.(report.health);
  if (report.health.ok) return;
  if (report.result === "ok") report.result = "failed";
  if (!rollbackWanted(cookbook)) return;
  const { rollback } = await import("./rollback.ts");
  const health = healthBefore ?? cookbook.health;
  const shown = hidingEvents(events, hide);
  report.rollback = hide(await rollback(manifest, exec, { stateDir, health, events: shown }));
  events.rollback?.(report.rollback);
}

/** {@link recordRun}, saying so when a run that changed the machine could not be recorded. */
function record(
  exec: Executor,
  paths: StatePaths,
  report: RunReport,
  desired: Record<string, string>,
  scope: RunScope,
  prior: PriorState,
): string | undefined {
  try {
    return recordRun(exec, paths, report, desired, scope, prior);
  } catch (error) {
    const changed = report.totals.changed + report.handlers.length > 0;
    if (changed && error instanceof StateError) throw new UnrecordedRunError(report, error);
    throw error;
  }
}
