/**
 * cm as a library: load cookbooks, plan or apply them through an executor,
 * and read the run report.
 *
 * ```ts
 * import { loadCookbooks, RealExecutor, run } from "./mod.ts";
 * const exec = new RealExecutor();
 * const cookbook = await loadCookbooks(["cookbooks/hello-web.yaml"], exec);
 * const report = await run(cookbook, { mode: "plan", probe: exec });
 * console.log(report.totals);
 * ```
 *
 * @module
 */
export {
  type Cookbook,
  loadCookbooks,
  type LoadOptions,
  type RenderOptions,
  type Resource,
} from "./src/cookbook/load.ts";
export type { CookbookInputs } from "./src/cookbook/cookbook.ts";
export {
  ConfigError,
  CookbookError,
  CredentialsError,
  DisabledError,
  errorMessage,
  formatProblem,
  LockTimeoutError,
  type Position,
  type Problem,
  ProblemsError,
  StateError,
  UsageError,
} from "./src/errors.ts";
export {
  converge,
  type ConvergeOptions,
  DEFAULT_LOCK_TIMEOUT,
  type Interrupts,
} from "./src/app/converge.ts";
export { validateCookbooks } from "./src/app/validate.ts";
export {
  type ApplyTarget,
  type PlanTarget,
  run,
  type RunEvents,
  type RunOptions,
} from "./src/engine/run.ts";
export type {
  CheckRecord,
  HandlerResult,
  HealthRecord,
  PendingRefresh,
  RefreshAction,
  ResourceResult,
  RestoreRecord,
  RollbackRecord,
  RunReport,
  Status,
  Totals,
} from "./src/engine/report.ts";
export type {
  Attributes,
  Executor,
  PathInfo,
  Probe,
  ProcessOptions,
  RunResult,
  WriteOptions,
} from "./src/exec/executor.ts";
export { RealExecutor } from "./src/exec/real.ts";
export { type Answer, RecordingExecutor } from "./src/exec/recording.ts";
export { KIND_NAMES, kindOf, loadKinds } from "./resources/mod.ts";
export type {
  Change,
  Mode,
  Outcome,
  PlannedPath,
  ResourceContext,
  ResourceKind,
  SpecBase,
  SpecProblem,
} from "./resources/resource.ts";
export type {
  Before,
  GitBefore,
  GroupBefore,
  LinkBefore,
  PathBefore,
  PathsBefore,
  SnapshotStore,
  UserBefore,
} from "./resources/snapshot.ts";
export { acquireLock, type Holder, type RunLock } from "./src/state/lock.ts";
export {
  type HealthSummary,
  type LastRollback,
  type PriorState,
  readPriorState,
  readState,
  recordRun,
  type ResourceState,
  type RunScope,
  type RunsRecord,
  type State,
  type SyncRecord,
  type SyncStatus,
} from "./src/state/store.ts";
export { type StatePaths, statePaths } from "./src/state/paths.ts";
export { type DisabledMark, readDisabled } from "./src/state/disabled.ts";
export { VERSION } from "./src/version.ts";
