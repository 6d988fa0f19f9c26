/**
 * The use case behind `cm apply`, `cm plan` and the apply step of `cm sync`:
 * catalog → load → lock → run → record. It prints nothing and decides no exit
 * code: live output goes out through events, the result is the run report.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import { readCatalog, writeCatalog } from "../state/catalog.ts";
import { run, type RunEvents } from "../engine/run.ts";
import type { RunReport } from "../engine/report.ts";
import { acquireLock } from "../state/lock.ts";
import { recordRun } from "../state/store.ts";
import { statePaths } from "../state/paths.ts";

/** Seconds a run waits for another run's lock unless told otherwise. */
export const DEFAULT_LOCK_TIMEOUT = 300;

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
  /** Put unified diffs of content changes into the results. */
  diff?: boolean;
  /** Live output: each result, handler, progress line and warning. */
  events?: RunEvents;
  /** Starts watching for stop requests when the apply begins; disposed when it ends. */
  interrupts?: () => Interrupts;
  /** Facts to load the cookbooks with instead of this machine's (the catalog is then bypassed). */
  facts?: Record<string, unknown>;
}

/**
 * Plans or applies `files` and returns the run report. An apply takes the
 * run lock (unless held), records the run and caches the loaded cookbooks.
 *
 * @throws {CookbookError} when the cookbooks do not load (nothing was run)
 * @throws {LockTimeoutError} when another run keeps the lock past the timeout
 */
export async function converge(
  files: string[],
  exec: Executor,
  options: ConvergeOptions,
): Promise<RunReport> {
  const paths = statePaths(options.stateDir);
  const events = options.events ?? {};
  const cached = options.facts ? undefined : await readCatalog(exec, paths.catalog, files);
  const cookbook = cached ??
    await (await import("../cookbook/load.ts")).loadCookbooks(files, exec, {
      facts: options.facts,
    });
  if (options.mode === "plan") {
    return await run(cookbook, { mode: "plan", probe: exec }, events, { diff: options.diff });
  }
  const lock = options.lock === "held" ? undefined : await acquireLock(
    paths.lock,
    (options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT) * 1000,
    options.command ?? "cm apply",
    options.onLockWait,
  );
  try {
    using interrupts = options.interrupts?.();
    const report = await run(cookbook, { mode: "apply", exec }, events, {
      diff: options.diff,
      interrupted: () => interrupts?.interrupted(),
    });
    if (options.commit) report.commit = options.commit;
    const warning = recordRun(exec, paths, report);
    if (warning) events.warning?.(warning);
    if (!cached && !options.facts) writeCatalog(exec, paths.catalog, cookbook);
    return report;
  } finally {
    lock?.release();
  }
}
