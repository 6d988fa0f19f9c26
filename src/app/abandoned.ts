/**
 * A run cm died in the middle of (a SIGKILL, a second signal, a power cut):
 * it had begun changing the machine, as the run lock it held says, but never
 * recorded itself. The next command to take the lock writes that run's report
 * from its snapshot, so that `cm history` and `cm show-run` show it and
 * `cm rollback RUN_ID` points at it; the resources it was about to change are
 * failed there, since any of them may be changed or half-way.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import { type ResourceResult, type RunReport, totals } from "../engine/report.ts";
import { acquireLock, type Holder, type RunLock } from "../state/lock.ts";
import { isRunIdName, type StatePaths } from "../state/paths.ts";
import { readManifest, snapshotsDir } from "../state/snapshots.ts";
import { writeRun } from "../state/store.ts";
import { StateError } from "../errors.ts";

/** How to take the run lock: see {@link acquireLock}; `warn` hears of an abandoned run. */
export interface LockRequest {
  timeoutMs: number;
  /** `cm apply`, `cm sync`, `cm rollback`: what the lock file names as its holder. */
  command: string;
  onWait?: (message: string) => void;
  warn?: (line: string) => void;
}

/**
 * Takes the run lock of `paths` and records the run its last holder died in
 * the middle of, if any (see the module doc).
 *
 * @throws {LockTimeoutError} when another run keeps the lock past the timeout
 * @throws {StateError} when the lock cannot be taken (the dead run's report
 *   that cannot be written is a warning)
 */
export async function takeRunLock(
  exec: Executor,
  paths: StatePaths,
  request: LockRequest,
): Promise<RunLock> {
  const lock = await acquireLock(paths.lock, request.timeoutMs, request.command, request.onWait);
  const dead = lock.abandoned;
  try {
    const warning = dead && recordAbandoned(exec, paths, dead);
    if (warning) request.warn?.(warning);
  } catch (error) {
    // Old history must not keep this run from running and being recorded (a full disk says so later).
    if (!(error instanceof StateError)) {
      lock.release();
      throw error;
    }
    request.warn?.(
      `cannot record run ${dead?.run}, killed while it changed the machine: ${error.message}`,
    );
  }
  return lock;
}

/** Writes the report of the run `holder` died in (unless it recorded itself); the warning to show. */
export function recordAbandoned(
  exec: Executor,
  paths: StatePaths,
  holder: Holder,
): string | undefined {
  const run = holder.run;
  if (!run || !isRunIdName(run) || exec.stat(`${paths.runs}/${run}.json`)) return undefined;
  const manifest = readManifest(exec, snapshotsDir(paths.dir), run);
  const at = `${snapshotsDir(paths.dir)}/${run}/manifest.json`;
  const resources: ResourceResult[] = (manifest?.resources ?? []).map(({ id, kind }) => ({
    id,
    kind,
    status: "failed",
    changes: [],
    durationMs: 0,
    at,
    error: "cm was killed while it ran: this may have changed, or be half-way " +
      "(the snapshot holds it as it was before)",
  }));
  const report: RunReport = {
    id: run,
    mode: "apply",
    startedAt: holder.since,
    durationMs: 0,
    cookbooks: manifest?.cookbooks ?? [],
    ...(manifest?.commit ? { commit: manifest.commit } : {}),
    resources,
    handlers: [],
    totals: totals(resources, []),
    result: "interrupted",
  };
  writeRun(exec, paths, report);
  const killed = `run ${run} (${holder.command}, PID ${holder.pid}) was killed`;
  if (!resources.length) {
    // It was running a command, say: nothing was snapshotted, so no rollback to point at.
    return `${killed} while it changed the machine (nothing it can roll back: a command, say) ` +
      `and never recorded itself; its report now says so (cm show-run ${run})`;
  }
  return `${killed} while it changed ${resources.length} resource(s) and never recorded ` +
    `itself; its report now says so ` +
    `(cm show-run ${run}; cm rollback ${run} puts back what it was about to change)`;
}
