/**
 * The state file and run reports, written atomically through the executor.
 *
 * @module
 */
import type { Executor, Probe, WriteOptions } from "../exec/executor.ts";
import type { PendingRefresh, RunReport, Totals } from "../engine/report.ts";
import { errorMessage, StateError } from "../errors.ts";
import { compareRunIds, idsMatching, isRunIdName, type StatePaths } from "./paths.ts";
import { onStatePath } from "./_os_error.ts";
import { markDrift } from "./drift.ts";
import { runProblem, stateProblem } from "./shapes.ts";
import { jsonChunks } from "../exec/json_chunks.ts";
import { leftoverOf } from "../exec/temp_names.ts";
import { isoTime } from "../iso_time.ts";

/** What cm remembers about one resource between runs. */
export interface ResourceState {
  /** Its status in the last run: "changed", "unchanged", "failed" or "skipped". */
  status: string;
  /** When it last changed (ISO time). */
  changedAt?: string;
  /** The content fingerprint last recorded (files: sha256 of the content, hex). */
  sha256?: string;
  /** sha256 of the spec the cookbooks gave it in the last run (see `drift.ts`). */
  desired?: string;
  /**
   * The cookbooks asked for (absolute paths) that last declared it, each in
   * its own run (see {@link RunScope}): a resource two applied cookbooks share
   * stays managed until neither declares it.
   */
  roots?: string[];
  /** The one root cookbook a state written before `roots` names (read, no longer written). */
  root?: string;
}

/** The root cookbooks `r` names (none when it predates them, or a hand edit broke them). */
export function rootsOf(r: ResourceState): string[] {
  if (Array.isArray(r.roots)) return r.roots.filter((root) => typeof root === "string");
  return typeof r.root === "string" ? [r.root] : [];
}

/**
 * What a run speaks for. `cm sync` applies the node's whole desired state:
 * what the state knows and the run no longer has is no longer managed. An ad
 * hoc `cm apply a.yaml` speaks only for the resources last applied from
 * a.yaml, so applying b.yaml next leaves a.yaml's resources managed.
 */
export interface RunScope {
  /** true for the whole node (sync); false for the run's own root cookbooks only. */
  wholeNode: boolean;
  /** By resource id, its root cookbook (`Resource.root`), recorded in the state. */
  roots: Readonly<Record<string, string | undefined>>;
}

/** How a sync ended: a new commit applied, the same one converged or skipped, the last good one kept. */
export type SyncStatus = "applied" | "converged" | "skipped" | "kept" | "failed";

/** A rollback as the state keeps it: of which run, when it ended (ISO, UTC), how it went. */
export interface LastRollback {
  /** The run whose snapshot was restored. */
  runId: string;
  /** When the rollback was recorded. */
  at: string;
  /** Every restore succeeded and health passed again. */
  ok: boolean;
  /** `cm rollback`, not the automatic rollback of a run whose health failed. */
  byHand: boolean;
}

/** What `cm sync` records under `sync` in the state file. */
export interface SyncRecord {
  /** The repository URL, secrets redacted. */
  repo: string;
  /** The branch followed. */
  branch: string;
  /** Commit checked out in the live work tree. */
  commit?: string;
  /** Last commit that validated and was applied. */
  lastGood?: string;
  /** When the sync began (ISO time). */
  lastSyncAt: string;
  /** How the sync ended. */
  result: SyncStatus;
  /** Why the last good commit was kept, or what failed. */
  reason?: string;
  /** The commit refused by the last sync, if any. */
  rejected?: string;
  /** Cookbooks applied, relative to the repository. */
  cookbooks?: string[];
  /**
   * "cookbook selection changed: was nodes/web1.yaml, now default.yaml ...":
   * kept until the selection is back or the node configuration names the cookbooks.
   */
  selectionChange?: string;
  /** The selection before that change (relative to the repository). */
  selectedBefore?: string[];
  /** Run id of the apply, when one ran. */
  runId?: string;
  /** Local edits to the checkout that were discarded (`git status --porcelain` lines), the first 100. */
  discarded?: string[];
  /** How many local edits were discarded, when more than `discarded` lists. */
  discardedCount?: number;
  /**
   * A commit whose apply failed health and was rolled back: not applied
   * again until a newer commit arrives.
   */
  quarantined?: { commit: string; runId: string; reason: string };
  /** Committer time of `commit` (ISO), for the commit age and commit-to-applied metrics. */
  commitTime?: string;
  /** Commits refused for their signature since the state directory began. */
  signatureFailures?: number;
}

/**
 * What a sync that ended "kept" did, in words: it kept the last good commit,
 * or, on a node that never had one, applied nothing.
 */
export function keptWords(sync: SyncRecord): string {
  return sync.lastGood ? "kept the last good commit" : "applied nothing (no good commit yet)";
}

/** The state file: the last run and every managed resource. */
export interface State {
  /** The format's version. */
  version: 1;
  /** The last apply: its run id, start time (ISO), result, mode, commit, duration, counts, cookbooks. */
  lastRun?: {
    id: string;
    at: string;
    result: string;
    mode: string;
    commit?: string;
    durationMs?: number;
    totals?: Totals;
    cookbooks?: string[];
    /** The node's vars file they were loaded with (`--vars-file`, `vars_file:`). */
    varsFile?: string;
    /** Resources the run found drifted (and repaired). */
    drift?: string[];
    /**
     * The health last checked, for the metrics: by this run (after its rollback, if it rolled
     * back), else carried over from the run before.
     */
    health?: HealthSummary;
  };
  /** Every resource cm applied, by id (`file[/etc/motd]`). */
  resources: Record<string, ResourceState>;
  /** What cm sync keeps: current commit, last good commit, last sync. */
  sync?: SyncRecord;
  /** The newest rollback, automatic (health failed) or by hand (`cm rollback`). */
  lastRollback?: LastRollback;
  /** Automatic rollbacks since the state directory was created (for metrics). */
  rollbacks?: { attempted: number; succeeded: number };
  /** Restarts and reloads that were due and failed, by service id: retried by every run. */
  pending?: Record<string, PendingRefresh>;
  /**
   * Which reports are newest and when runs/ was last pruned, so a run need not
   * list it; read back unchecked (pruneRuns lists afresh when it is misshapen).
   */
  runs?: RunsRecord;
}

/** `text` parsed as JSON and checked by `problem` (./shapes.ts); a StateError naming `what` else. */
function parseJson<T>(
  text: string,
  what: string,
  problem: (value: unknown) => string | null,
): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateError(`${what} is not valid JSON: ${errorMessage(error)}`);
  }
  const wrong = problem(value);
  if (wrong) throw new StateError(`${what} is not a file cm wrote: ${wrong}`);
  return value as T;
}

/**
 * Reads the state file; a missing file is an empty state.
 *
 * @throws {StateError} when it is not valid JSON, not shaped as cm writes it, or cannot be read (a directory, say)
 */
export function readState(probe: Probe, paths: StatePaths): State {
  const text = onStatePath("read state file", paths.state, () => probe.readText(paths.state));
  return text !== null
    ? sharingRoots(parseJson(text, `state file ${paths.state}`, stateProblem))
    : { version: 1, resources: {} };
}

/**
 * `state` with one array per distinct `roots` list: the 10,000 resources of
 * one cookbook share one, not 10,000 parsed copies of its path (about 1.5 MB
 * held through a run). Roots arrays are never changed in place.
 */
function sharingRoots(state: State): State {
  const shared = rootsTable();
  for (const r of Object.values(state.resources)) {
    if (Array.isArray(r.roots)) r.roots = shared(r.roots);
  }
  return state;
}

/** Returns, for a roots list, the first array seen with the same members in the same order. */
function rootsTable(): (roots: string[]) => string[] {
  const seen = new Map<string, string[]>();
  return (roots) => {
    const key = roots.join("\0");
    const known = seen.get(key);
    if (known) return known;
    seen.set(key, roots);
    return roots;
  };
}

/** The state a run starts from: what the state file holds, or a fresh one when it is unreadable. */
export interface PriorState {
  /** The state file's content, or an empty state. */
  state: State;
  /** Why the state file could not be used; recording the run keeps it aside. */
  unreadable?: StateError;
}

/** Reads the state a run starts from (see {@link PriorState}); never throws a StateError. */
export function readPriorState(probe: Probe, paths: StatePaths): PriorState {
  try {
    return { state: readState(probe, paths) };
  } catch (error) {
    if (!(error instanceof StateError)) throw error;
    return { state: { version: 1, resources: {} }, unreadable: error };
  }
}

/**
 * An unreadable state file must not lose the run that just changed the
 * machine: it is kept beside as `state.json.corrupt-ID` (a fresh state
 * begins); returns the warning that says so. A FIFO, device or socket holds
 * nothing to keep (reading it would block or never end): the new state replaces it.
 */
function setAside(exec: Executor, paths: StatePaths, runId: string, why: StateError): string {
  if (exec.stat(paths.state)?.kind === "other") {
    return `${why.message}; a new state file replaces it`;
  }
  const aside = `${paths.state}.corrupt-${runId}`;
  onStatePath(
    "write",
    aside,
    () => exec.writeFile(aside, exec.readFile(paths.state)!, { mode: 0o600 }),
  );
  return `${why.message}; kept it as ${aside} and started a new state file`;
}

/**
 * Writes the state file atomically (0600), then flushes the executor: every
 * write of the run (managed files, run report, state) is durable once the
 * state says so.
 *
 * @throws {StateError} when it cannot be written (a full disk, say)
 */
export function writeState(exec: Executor, paths: StatePaths, state: State): void {
  onStatePath("create state directory", paths.dir, () => exec.mkdir(paths.dir, { mode: 0o700 }));
  onStatePath(
    "write state file",
    paths.state,
    () => exec.writeFile(paths.state, jsonChunks(state, 1), { mode: 0o600 }),
  );
  onStatePath("sync the state directory", paths.dir, () => exec.flush());
}

/** Whether cm ever found `r` as wanted or made it so: not when it only failed or was skipped. */
function madeByCm(r: ResourceState): boolean {
  return r.changedAt !== undefined || r.status === "changed" || r.status === "unchanged";
}

/**
 * Ids the state knows that `report` (a plan or an apply) no longer has: all of
 * them for the whole node, else those last applied from one of the report's
 * cookbooks (or recorded before cm kept roots). The state forgets them.
 */
export function undeclaredIds(state: State, report: RunReport, wholeNode = true): string[] {
  const ids = new Set(report.resources.map((r) => r.id));
  const own = new Set(report.cookbooks);
  return Object.entries(state.resources)
    .filter(([id, r]) => !ids.has(id) && (wholeNode || rootsOf(r).every((root) => own.has(root))))
    .map(([id]) => id);
}

/**
 * The {@link undeclaredIds} to report as unmanaged: left as they are, which
 * says nothing of one cm never got to make (it only failed or was skipped).
 */
export function unmanagedIds(state: State, report: RunReport, wholeNode = true): string[] {
  return madeOnes(state, undeclaredIds(state, report, wholeNode));
}

/** Those of `ids` cm made or found as wanted (see {@link madeByCm}). */
function madeOnes(state: State, ids: string[]): string[] {
  return ids.filter((id) => madeByCm(state.resources[id]));
}

/**
 * Folds a finished apply into the state and saves the report under runs/,
 * first marking the drift it repaired (`desired`: spec digests by resource id,
 * see `drift.ts`) into `prior` (the state the run started from, read now
 * unless given); returns a warning when the old state file was unreadable.
 * Resources the state knew that the run no longer has (within `scope`, by
 * default the whole node) are put in `report.unmanaged` and dropped from the
 * state, so they are reported once.
 *
 * @throws {StateError} when the report or the state cannot be written (a full disk, say)
 */
export function recordRun(
  exec: Executor,
  paths: StatePaths,
  report: RunReport,
  desired: Readonly<Record<string, string>> = {},
  scope: RunScope = { wholeNode: true, roots: {} },
  prior: PriorState = readPriorState(exec, paths),
): string | undefined {
  const { state } = prior;
  const warning = prior.unreadable && setAside(exec, paths, report.id, prior.unreadable);
  const drift = markDrift(report, state.resources, desired);
  const undeclared = undeclaredIds(state, report, scope.wholeNode);
  const unmanaged = madeOnes(state, undeclared);
  for (const id of undeclared) delete state.resources[id];
  if (unmanaged.length) report.unmanaged = unmanaged;
  // Other cookbooks' claims stand (an ad hoc run speaks for its own); this run's are its own now.
  const own = new Set(scope.wholeNode ? [] : report.cookbooks);
  const others = (r?: ResourceState) =>
    r && !scope.wholeNode ? rootsOf(r).filter((root) => !own.has(root)) : [];
  const ran = new Set(report.resources.map((r) => r.id));
  const shared = rootsTable();
  for (const [id, r] of Object.entries(state.resources)) {
    if (!ran.has(id)) state.resources[id] = withRoots(r, shared(others(r)));
  }
  for (const r of report.resources) {
    const previous = state.resources[r.id];
    const sha256 = r.sha256 ?? previous?.sha256;
    const root = scope.roots[r.id];
    state.resources[r.id] = withRoots({
      status: r.status,
      changedAt: r.status === "changed" ? report.startedAt : previous?.changedAt,
      ...(sha256 ? { sha256 } : {}),
      ...(desired[r.id] ? { desired: desired[r.id] } : {}),
    }, shared([...new Set([...others(previous), ...(root ? [root] : [])])]));
  }
  const pending = pendingAfter(state.pending ?? {}, report);
  if (Object.keys(pending).length) state.pending = pending;
  else delete state.pending;
  // A run that changed nothing checks no health: the last result stands, or cm_health_* would
  // vanish from the metrics (and an alert on them resolve) while a failed rollback left it bad.
  const health = healthSummary(report) ?? state.lastRun?.health;
  state.lastRun = {
    id: report.id,
    at: report.startedAt,
    result: report.result,
    mode: report.mode,
    ...(report.commit ? { commit: report.commit } : {}),
    ...(report.varsFile ? { varsFile: report.varsFile } : {}),
    durationMs: report.durationMs,
    totals: report.totals,
    cookbooks: report.cookbooks,
    ...(drift.length ? { drift } : {}),
    ...(health ? { health } : {}),
  };
  state.runs = pruneRuns(exec, paths, state.runs, report.id, new Date(report.startedAt));
  writeRun(exec, paths, report, { leftoversSwept: true });
  writeState(exec, paths, state);
  return warning;
}

/** Health checks of a run in counts: whether all passed, how many ran, how many failed. */
export interface HealthSummary {
  /** Every check passed and no service failed. */
  ok: boolean;
  /** Checks run. */
  checks: number;
  /** Checks that failed, plus services that failed to start or restart. */
  failed: number;
}

/** The health a run last checked (its rollback's, if it rolled back), in counts; none unchecked. */
export function healthSummary(report: RunReport): HealthSummary | undefined {
  const health = report.rollback?.health ?? report.health;
  if (!health) return undefined;
  const failed = health.checks.filter((c) => !c.ok).length + health.failures.length;
  return { ok: health.ok, checks: health.checks.length, failed };
}

/**
 * Writes (or rewrites, e.g. after `cm rollback`) a run's report under runs/
 * (0600); `leftoversSwept` for a recorded run's (the daily prune sweeps
 * runs/: see {@link WriteOptions}).
 */
export function writeRun(
  exec: Executor,
  paths: StatePaths,
  report: RunReport,
  options: WriteOptions = {},
): void {
  const file = `${paths.runs}/${report.id}.json`;
  onStatePath("write run report", file, () => {
    exec.mkdir(paths.runs, { mode: 0o700 });
    exec.writeFile(file, jsonChunks(report), { mode: 0o600 }, options);
  });
}

/**
 * The refreshes still pending after an apply: every handler that failed in
 * it (since when it first became due), and every earlier one it did not
 * settle. A handler that succeeded settles its entry, and so does a start or
 * restart of the service itself (it loads the new configuration); an entry
 * for a resource no longer in the cookbooks is dropped.
 */
export function pendingAfter(
  before: Record<string, PendingRefresh>,
  report: RunReport,
): Record<string, PendingRefresh> {
  const results = new Map(report.resources.map((r) => [r.id, r]));
  const pending: Record<string, PendingRefresh> = {};
  for (const [id, p] of Object.entries(before)) {
    const own = results.get(id);
    const restarted = own?.status === "changed" && own.changes.some((c) => c.field === "state");
    if (own && !restarted) pending[id] = p;
  }
  for (const h of report.handlers) {
    if (h.status === "changed") delete pending[h.id];
    else {
      pending[h.id] = {
        action: h.action,
        triggeredBy: h.triggeredBy,
        since: h.pendingSince ?? report.startedAt,
        ...(h.error ? { error: h.error } : {}),
      };
    }
  }
  return pending;
}

/**
 * How long run reports are kept (the design's 30 days), how many at most, and
 * how many of the newest keep their unchanged resources: a timer running every
 * 5 minutes writes 8,640 reports in 30 days.
 */
export const RETENTION = { days: 30, reports: 10_000, full: 10 };

/**
 * What the state keeps about runs/ so that a run lists it once a day, not
 * every time: after 30 days of a 5-minute timer it holds 8,640 reports, and
 * one listing costs 10-15 ms (Deno, 2026-12-01).
 */
export interface RunsRecord {
  /** The newest {@link RETENTION}.full run ids, oldest first. */
  recent: string[];
  /** The day (UTC, `YYYY-MM-DD`) runs/ was last listed and pruned. */
  prunedOn: string;
}

/** `r` naming `roots` (none: no roots field), in the current format. */
function withRoots(r: ResourceState, roots: string[]): ResourceState {
  const { root: _, roots: __, ...rest } = r;
  return roots.length ? { ...rest, roots } : rest;
}

/**
 * Prunes run reports as run `id` is recorded and returns the record to keep.
 * Once a day (and whenever `known` is missing or misshapen) runs/ is listed:
 * reports older than {@link RETENTION}.days and, past {@link RETENTION}.reports, the oldest
 * go, as do leftover temporary reports of killed runs. Every run compacts
 * the report that falls out of the newest {@link RETENTION}.full (see
 * {@link compactReport}), found in `known.recent` without a listing.
 */
export function pruneRuns(
  exec: Executor,
  paths: StatePaths,
  known: unknown,
  id: string,
  now: Date,
): RunsRecord {
  const today = isoTime(now).slice(0, 10);
  if (isRunsRecord(known) && known.prunedOn === today) {
    const recent = [...known.recent.filter((r) => r !== id), id];
    for (const old of recent.splice(0, recent.length - RETENTION.full)) {
      compactRun(exec, paths, old);
    }
    return { recent, prunedOn: today };
  }
  const cutoff = runIdAt(new Date(now.getTime() - RETENTION.days * 86_400_000));
  const { runs: listed, leftovers } = runsDirectory(paths);
  const runs = [...listed.filter((r) => r !== id), id].sort(compareRunIds);
  const excess = runs.length - RETENTION.reports;
  const kept = runs.filter((run, i) => {
    const expired = i < excess || run < cutoff;
    if (expired) exec.remove(`${paths.runs}/${run}.json`);
    return !expired;
  });
  for (const name of leftovers) exec.remove(`${paths.runs}/${name}`);
  const old = kept.at(-RETENTION.full - 1);
  if (old) compactRun(exec, paths, old);
  return { recent: kept.slice(-RETENTION.full), prunedOn: today };
}

/**
 * Whether the state's `runs` is shaped as cm writes it. It is only a record
 * of what a listing finds: one of another shape (a hand edit) is listed
 * afresh, not a reason to put the whole state file aside.
 */
function isRunsRecord(value: unknown): value is RunsRecord {
  const record = value as RunsRecord | undefined;
  return typeof record?.prunedOn === "string" && Array.isArray(record.recent) &&
    record.recent.every((id) => typeof id === "string");
}

/**
 * `report` without its unchanged resources, counted in `compacted` instead;
 * changed, failed and skipped ones and every handler are kept in full. A
 * report already compact, or without unchanged resources, comes back as is.
 */
export function compactReport(report: RunReport): RunReport {
  const unchanged = report.resources.filter((r) => r.status === "unchanged").length;
  if (report.compacted || !unchanged) return report;
  return {
    ...report,
    resources: report.resources.filter((r) => r.status !== "unchanged"),
    compacted: { unchanged },
  };
}

/**
 * Compacts run `id`'s report in place. A report that cannot be read or
 * rewritten (damaged, a directory) stays as it is until retention removes it:
 * old history must not keep the run being recorded from being saved.
 */
function compactRun(exec: Executor, paths: StatePaths, id: string): void {
  const file = `${paths.runs}/${id}.json`;
  try {
    onStatePath("compact run report", file, () => {
      const report = readRun(exec, paths, id);
      if (!report || report.compacted) return;
      const compact = compactReport(report);
      if (compact === report) return;
      exec.writeFile(file, jsonChunks(compact), { mode: 0o600 }, { leftoversSwept: true });
    });
  } catch (error) {
    if (!(error instanceof StateError)) throw error;
  }
}

/** The time part of a run id for `date`, which sorts like the ids do. */
function runIdAt(date: Date): string {
  return isoTime(date).replace(/[-:]/g, "").replace(/\.\d+/, "");
}

/** Run ids under runs/, oldest first. */
export function listRuns(paths: StatePaths): string[] {
  return runsDirectory(paths).runs;
}

/**
 * runs/ in one listing: the run ids (oldest first) and the temporary reports
 * (`.ID.json.cm-XXXXXXXX`) killed runs left behind.
 */
function runsDirectory(paths: StatePaths): { runs: string[]; leftovers: string[] } {
  return onStatePath("list run reports in", paths.runs, () => {
    const runs: string[] = [];
    const leftovers: string[] = [];
    try {
      for (const e of Deno.readDirSync(paths.runs)) {
        if (!e.isFile) continue;
        if (leftoverOf(e.name)?.endsWith(".json")) leftovers.push(e.name);
        else if (e.name.endsWith(".json")) runs.push(e.name.slice(0, -5));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return { runs: runs.sort(compareRunIds), leftovers };
  });
}

/** The run ids `prefix` names: itself when it is one, else every id that starts with it. */
export function runsMatching(paths: StatePaths, prefix: string): string[] {
  return idsMatching(listRuns(paths), prefix);
}

/** Reads the report of run `id` (a whole id: see {@link runsMatching}); null when there is none. */
export function readRun(probe: Probe, paths: StatePaths, id: string): RunReport | null {
  if (!isRunIdName(id)) return null;
  const file = `${paths.runs}/${id}.json`;
  const text = probe.readText(file);
  return text === null ? null : parseJson(text, `run report ${file}`, runProblem);
}
