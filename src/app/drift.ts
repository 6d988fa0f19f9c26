/**
 * The use case behind `cm drift`: plan the last applied cookbooks against the
 * machine, changing nothing; what would change is drift.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import { appliedCookbooks, appliedVarsFile, converge } from "./converge.ts";
import type { RunEvents } from "../engine/run.ts";
import type { ResourceResult, RunReport } from "../engine/report.ts";
import { statePaths } from "../state/paths.ts";
import { readState } from "../state/store.ts";
import { plannedDrift } from "../state/drift.ts";

/** What a drift check found. */
export interface DriftCheck {
  /** The applied run compared with. */
  lastRunId: string;
  /** When that run started, ISO 8601 in UTC. */
  lastRunAt: string;
  /** The plan of its cookbooks. */
  plan: RunReport;
  /** Resources that differ from the cookbooks. */
  drifted: ResourceResult[];
}

/**
 * Plans the cookbooks of the last recorded apply (from the catalog when it
 * is still fresh, else from the files) and returns what differs.
 *
 * @throws {UsageError} when no apply was recorded yet
 * @throws {CookbookError} when those cookbooks no longer load
 */
export async function checkDrift(
  exec: Executor,
  options: { stateDir?: string; events?: RunEvents },
): Promise<DriftCheck> {
  const paths = statePaths(options.stateDir);
  const cookbooks = appliedCookbooks(exec, paths, { nameable: false });
  const last = readState(exec, paths).lastRun!;
  const plan = await converge(cookbooks, exec, {
    mode: "plan",
    stateDir: options.stateDir,
    varsFile: appliedVarsFile(exec, paths),
    lock: "take",
    events: options.events,
  });
  return {
    lastRunId: last.id,
    lastRunAt: last.at,
    plan,
    drifted: plannedDrift(plan),
  };
}
