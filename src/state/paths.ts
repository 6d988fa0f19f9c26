/**
 * Where cm keeps its state: `/var/lib/config-manager` unless `--state-dir` or
 * `CM_STATE_DIR` says otherwise.
 *
 * @module
 */

/** The default state directory (the seed design's). */
export const DEFAULT_STATE_DIR = "/var/lib/config-manager";

/**
 * Whether `id` can name a run's files under the state directory (runs/ID.json,
 * snapshots/ID/): letters, digits, `_`, `-` and `.`, not first (never `..`).
 */
export function isRunIdName(id: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(id);
}

/** `id` as its first run of the second and process (`X`) and its number in that second (X.2: 2, X: 1). */
function runIdParts(id: string): [string, number] {
  const match = /^(.*)\.(\d+)$/.exec(id);
  return match ? [match[1], Number(match[2])] : [id, 1];
}

/**
 * Orders run ids as they were given out (for `Array.sort`): by time, and
 * within one second and process `X`, `X.2`, ..., `X.9`, `X.10` (text order
 * would put `X.10` before `X.2`).
 */
export function compareRunIds(a: string, b: string): number {
  const [[baseA, nA], [baseB, nB]] = [runIdParts(a), runIdParts(b)];
  return baseA < baseB ? -1 : baseA > baseB ? 1 : nA - nB;
}

/**
 * `id`, or the next id after `last` when `id` would not sort after it (a run
 * of another process in the same second whose pid sorts lower, a clock set
 * back): runs are recorded one at a time under the run lock, so the ids keep
 * the order the runs happened in, which pruning and `cm rollback` rely on.
 */
export function runIdAfter(id: string, last: string | undefined): string {
  if (last === undefined || !isRunIdName(last) || compareRunIds(id, last) > 0) return id;
  const [base, n] = runIdParts(last);
  return `${base}.${n + 1}`;
}

/**
 * The ids among `ids` that `prefix` names: itself alone when it is a whole id
 * (`X` is not ambiguous beside `X.2`), else every id that starts with it.
 */
export function idsMatching(ids: string[], prefix: string): string[] {
  return ids.includes(prefix) ? [prefix] : ids.filter((id) => id.startsWith(prefix));
}

/** The files under one state directory. */
export interface StatePaths {
  /** The state directory itself. */
  dir: string;
  /** The state file, `state.json`. */
  state: string;
  /** The run lock. */
  lock: string;
  /** Run reports, one `<run id>.json` each. */
  runs: string;
  /** cm sync's live checkout of the cookbook repository. */
  repo: string;
  /** The cached loaded cookbooks (bytes: src/state/catalog.ts; freshness: src/cookbook/catalog.ts). */
  catalog: string;
  /** `cm disable`'s marker, `disabled.json` (see src/state/disabled.ts). */
  disabled: string;
  /** The parsed node configuration, cached by its file's bytes (see src/sync/node_config.ts). */
  nodeConfig: string;
  /** The parsed alert configuration, sealed under its file's bytes (see src/monitor/alert_config.ts). */
  alertConfig: string;
}

/**
 * Resolves the state directory: flag, then `CM_STATE_DIR`, then the default.
 * An empty `CM_STATE_DIR` counts as unset (it read as "/", the root).
 */
export function statePaths(flag?: string): StatePaths {
  const env = Deno.env.get("CM_STATE_DIR") || undefined;
  const dir = (flag ?? env ?? DEFAULT_STATE_DIR).replace(/\/+$/, "") || "/";
  return {
    dir,
    state: `${dir}/state.json`,
    lock: `${dir}/lock`,
    runs: `${dir}/runs`,
    repo: `${dir}/repo`,
    catalog: `${dir}/catalog.json`,
    disabled: `${dir}/disabled.json`,
    nodeConfig: `${dir}/node_config.json`,
    alertConfig: `${dir}/alert_config.json`,
  };
}
