/**
 * `cm status`: the current commit, the last sync and the last run, from the
 * state file.
 *
 * @module
 */
import type { State } from "../state/store.ts";

function ago(iso: string | undefined, now: Date): string {
  if (!iso) return "";
  const s = Math.round((now.getTime() - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(s)) return "";
  if (s < 120) return ` (${s} s ago)`;
  if (s < 7200) return ` (${Math.round(s / 60)} min ago)`;
  return ` (${Math.round(s / 3600)} h ago)`;
}

/** The lines `cm status` prints. */
export function statusLines(state: State, now = new Date()): string[] {
  const sync = state.sync;
  const lines: string[] = [];
  if (!sync) lines.push("sync:         never synced (cm sync --once)");
  else {
    lines.push(`repository:   ${sync.repo} (branch ${sync.branch})`);
    lines.push(`commit:       ${sync.commit ?? "none"}`);
    if (sync.lastGood && sync.lastGood !== sync.commit) {
      lines.push(`last good:    ${sync.lastGood}`);
    }
    lines.push(`last sync:    ${sync.lastSyncAt}${ago(sync.lastSyncAt, now)}: ${sync.result}`);
    if (sync.reason) lines.push(`reason:       ${sync.reason}`);
    if (sync.rejected) lines.push(`rejected:     ${sync.rejected}`);
    if (sync.cookbooks?.length) lines.push(`cookbooks:    ${sync.cookbooks.join(", ")}`);
    if (sync.discarded?.length) lines.push(`discarded:    ${sync.discarded.length} local edit(s)`);
  }
  const run = state.lastRun;
  if (run) {
    lines.push(
      `last run:     ${run.id} ${run.mode} ${run.result} at ${run.at}${ago(run.at, now)}${
        run.commit ? ` (commit ${run.commit.slice(0, 12)})` : ""
      }`,
    );
  } else lines.push("last run:     none");
  return lines;
}
