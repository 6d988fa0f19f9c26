/**
 * The state file and run reports, written atomically through the executor.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import type { RunReport } from "../engine/report.ts";
import { errorMessage, StateError } from "../errors.ts";
import type { StatePaths } from "./paths.ts";

/** What cm remembers about one resource between runs. */
export interface ResourceState {
  /** Its status in the last run: "changed", "unchanged", "failed" or "skipped". */
  status: string;
  /** When it last changed (ISO time). */
  changedAt?: string;
  /** The content fingerprint last recorded (files: sha256 of the content, hex). */
  sha256?: string;
}

/** How a sync ended: a new commit applied, the same one converged or skipped, the last good one kept. */
export type SyncStatus = "applied" | "converged" | "skipped" | "kept" | "failed";

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
  /** Run id of the apply, when one ran. */
  runId?: string;
  /** Local edits to the checkout that were discarded (`git status --porcelain` lines). */
  discarded?: string[];
}

/** The state file: the last run and every managed resource. */
export interface State {
  /** The format's version. */
  version: 1;
  /** The last apply: its run id, start time (ISO), result, mode and commit. */
  lastRun?: { id: string; at: string; result: string; mode: string; commit?: string };
  /** Every resource cm applied, by id (`file[/etc/motd]`). */
  resources: Record<string, ResourceState>;
  /** What cm sync keeps: current commit, last good commit, last sync. */
  sync?: SyncRecord;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parseJson<T>(data: Uint8Array, what: string): T {
  try {
    return JSON.parse(decoder.decode(data));
  } catch (error) {
    throw new StateError(`${what} is not valid JSON: ${errorMessage(error)}`);
  }
}

/** Reads the state file; a missing file is an empty state. */
export function readState(probe: Probe, paths: StatePaths): State {
  const data = probe.readFile(paths.state);
  return data ? parseJson(data, `state file ${paths.state}`) : { version: 1, resources: {} };
}

/**
 * The state to update after a run. An unreadable state file must not lose the
 * run that just changed the machine: it is kept beside as `state.json.corrupt-ID`
 * and a fresh state begins; the returned warning says so.
 */
function stateForUpdate(exec: Executor, paths: StatePaths, runId: string): {
  state: State;
  warning?: string;
} {
  try {
    return { state: readState(exec, paths) };
  } catch (error) {
    if (!(error instanceof StateError)) throw error;
    const aside = `${paths.state}.corrupt-${runId}`;
    exec.writeFile(aside, exec.readFile(paths.state)!, { mode: 0o600 });
    return {
      state: { version: 1, resources: {} },
      warning: `${error.message}; kept it as ${aside} and started a new state file`,
    };
  }
}

/** Writes the state file atomically (0600). */
export function writeState(exec: Executor, paths: StatePaths, state: State): void {
  exec.mkdir(paths.dir, { mode: 0o700 });
  exec.writeFile(paths.state, encoder.encode(JSON.stringify(state, null, 1) + "\n"), {
    mode: 0o600,
  });
}

/**
 * Folds a finished apply into the state and saves the report under runs/;
 * returns a warning when the old state file was unreadable.
 */
export function recordRun(
  exec: Executor,
  paths: StatePaths,
  report: RunReport,
): string | undefined {
  const { state, warning } = stateForUpdate(exec, paths, report.id);
  for (const r of report.resources) {
    const previous = state.resources[r.id];
    state.resources[r.id] = {
      status: r.status,
      changedAt: r.status === "changed" ? report.startedAt : previous?.changedAt,
      ...(r.sha256 ? { sha256: r.sha256 } : previous?.sha256 ? { sha256: previous.sha256 } : {}),
    };
  }
  state.lastRun = {
    id: report.id,
    at: report.startedAt,
    result: report.result,
    mode: report.mode,
    ...(report.commit ? { commit: report.commit } : {}),
  };
  exec.mkdir(paths.runs, { mode: 0o700 });
  exec.writeFile(
    `${paths.runs}/${report.id}.json`,
    encoder.encode(JSON.stringify(report) + "\n"),
    { mode: 0o600 },
  );
  writeState(exec, paths, state);
  pruneRuns(exec, paths, new Date(report.startedAt));
  return warning;
}

/** How long run reports are kept (the design's 30-day retention), and how many at most. */
export const RETENTION = { days: 30, reports: 2000 };

/**
 * Removes run reports older than {@link RETENTION}.days and, past
 * {@link RETENTION}.reports, the oldest ones: a timer running every 5 minutes
 * writes 8,640 reports in 30 days.
 */
export function pruneRuns(exec: Executor, paths: StatePaths, now: Date): void {
  const cutoff = runIdAt(new Date(now.getTime() - RETENTION.days * 86_400_000));
  const runs = listRuns(paths);
  const excess = runs.length - RETENTION.reports;
  runs.forEach((id, i) => {
    if (i < excess || id < cutoff) exec.remove(`${paths.runs}/${id}.json`);
  });
}

/** The time part of a run id for `date`, which sorts like the ids do. */
function runIdAt(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
}

/** Run ids under runs/, oldest first. */
export function listRuns(paths: StatePaths): string[] {
  try {
    return [...Deno.readDirSync(paths.runs)]
      .filter((e) => e.isFile && e.name.endsWith(".json"))
      .map((e) => e.name.slice(0, -5))
      .sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Reads one run report by id (or a unique prefix of one). */
export function readRun(probe: Probe, paths: StatePaths, id: string): RunReport | null {
  const match = listRuns(paths).filter((r) => r === id || r.startsWith(id));
  if (match.length !== 1) return null;
  const file = `${paths.runs}/${match[0]}.json`;
  const data = probe.readFile(file);
  return data ? parseJson(data, `run report ${file}`) : null;
}
