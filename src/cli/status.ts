/**
 * `cm status`: the current commit, the last sync and the last run, from the
 * state file, and the sync timer from systemd.
 *
 * @module
 */
import { keptWords, type LastRollback, type State } from "../state/store.ts";
import { describeDisabled, type DisabledMark } from "../state/disabled.ts";
import type { Holder } from "../state/lock.ts";
import { printable } from "../exec/output.ts";
import type { TimerStatus } from "../sync/timer_status.ts";
import { TIMER_UNIT } from "../sync/timer.ts";
import { humanTime } from "../text.ts";

function ago(iso: string | undefined, now: Date): string {
  if (!iso) return "";
  const s = Math.round((now.getTime() - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(s)) return "";
  // Written by a clock that was ahead of this one (set back since): no "-3600 s ago".
  if (s < 0) return ` (${-s} s in the future: was the clock set back?)`;
  if (s < 120) return ` (${s} s ago)`;
  if (s < 7200) return ` (${Math.round(s / 60)} min ago)`;
  return ` (${Math.round(s / 3600)} h ago)`;
}

/** "enabled, active; next run 2026-11-30 21:05:00 +0000; last ...", or why it is unknown. */
export function timerLine(timer: TimerStatus | { error: string }): string {
  if ("error" in timer) return `unknown: ${timer.error}`;
  if (!timer.installed) return "not installed (cm timer install)";
  const next = timer.next
    ? `next run ${humanTime(timer.next)}`
    : timer.running
    ? "running now (armed again when this sync ends)"
    : "not armed: no next run";
  return `${timer.unitFileState ?? "unknown"}, ${timer.activeState ?? "unknown"}; ${next}${
    timer.last ? `; last ${humanTime(timer.last)}` : ""
  }`;
}

/**
 * What is wrong, one line each: a refused or failed last sync, a failed or
 * interrupted last run, a pending refresh, a quarantined commit, a cookbook
 * selection change, the sync timer of a node that syncs stopped or disabled,
 * `cm disable` standing. Empty when all is well; `cm status` exits non-zero otherwise.
 */
export function statusProblems(
  state: State,
  { timer, disabled, killed }: Seen = {},
): string[] {
  const problems: string[] = [];
  if (disabled) {
    problems.push(
      `cm is disabled ${describeDisabled(disabled)}: cm sync and cm apply refuse until cm enable`,
    );
  }
  const sync = state.sync;
  // A node that syncs by the timer and whose timer someone stopped converges no more.
  if (sync && timer && !("error" in timer) && timer.installed) {
    if (timer.unitFileState !== "enabled" || timer.activeState !== "active") {
      problems.push(
        `the sync timer is ${timer.unitFileState ?? "unknown"}, ${
          timer.activeState ?? "unknown"
        }: ` +
          `this node no longer syncs (systemctl enable --now ${TIMER_UNIT})`,
      );
    }
  }
  if (sync?.result === "kept") problems.push(`last sync ${keptWords(sync)}: ${sync.reason}`);
  if (sync?.result === "failed") {
    problems.push(`last sync failed: ${sync.reason ?? "see cm history"}`);
  }
  if (killed) problems.push(killedWords(killed));
  const run = state.lastRun;
  if (run?.result === "failed") problems.push(`last run ${run.id} failed (cm show-run ${run.id})`);
  if (run?.result === "interrupted") {
    problems.push(
      `last run ${run.id} was interrupted: the rest was not applied (cm show-run ${run.id})`,
    );
  }
  // A failed automatic rollback failed its run (above); one by hand is a problem until a run follows.
  const rollback = state.lastRollback;
  if (rollback?.byHand && !rollback.ok && (!run || run.at <= rollback.at)) {
    problems.push(`${rollbackWords(rollback)} (cm show-run ${rollback.runId})`);
  }
  for (const [id, p] of Object.entries(state.pending ?? {})) {
    problems.push(
      `${p.action} of ${id} pending since ${humanTime(p.since)} (an earlier try failed)`,
    );
  }
  if (sync?.quarantined) problems.push(`commit ${sync.quarantined.commit} is quarantined`);
  if (sync?.selectionChange && !sync.reason?.includes(sync.selectionChange)) {
    problems.push(
      `${sync.selectionChange}: put the node's cookbook back, or accept the new one by naming it ` +
        "(cookbooks: in the node configuration); on_cookbook_change: refuse would refuse such a commit",
    );
  }
  return problems;
}

/** What `cm status` found besides the state file. */
export interface Seen {
  /** The sync timer, when systemd was asked (or why it could not be). */
  timer?: TimerStatus | { error: string };
  /** The run holding the lock now. */
  running?: Holder | null;
  /** `cm disable`'s marker. */
  disabled?: DisabledMark | null;
  /** A run killed while it changed the machine, not recorded yet (see src/app/abandoned.ts). */
  killed?: Holder | null;
}

/** "run X by hand (cm rollback) at TIME (N s ago, given `now`): ok", or "...: FAILED". */
function rollbackWords(rollback: LastRollback, now?: Date): string {
  const how = rollback.byHand ? "by hand (cm rollback)" : "automatically (health failed)";
  const when = `${humanTime(rollback.at)}${now ? ago(rollback.at, now) : ""}`;
  return `run ${rollback.runId} ${how} at ${when}: ${rollback.ok ? "ok" : "FAILED"}`;
}

/** "run X (cm apply, PID 12, since ...) was killed while it changed the machine; ...". */
function killedWords(killed: Holder): string {
  return `run ${killed.run} (${killed.command}, PID ${killed.pid}, since ${
    humanTime(killed.since)
  }) was killed while it changed the machine: the next cm run records it (cm show-run ${killed.run} then)`;
}

/** The lines `cm status` prints. */
export function statusLines(
  state: State,
  now = new Date(),
  { timer, running, disabled, killed }: Seen = {},
): string[] {
  const sync = state.sync;
  const lines: string[] = [];
  if (disabled) lines.push(`disabled:     ${describeDisabled(disabled)}`);
  if (running) {
    lines.push(
      `running:      ${running.command} (PID ${running.pid}) since ${humanTime(running.since)}${
        ago(running.since, now)
      }`,
    );
  }
  if (!sync) lines.push("sync:         never synced (cm sync --once)");
  else {
    lines.push(`repository:   ${sync.repo} (branch ${sync.branch})`);
    lines.push(`commit:       ${sync.commit ?? "none"}`);
    if (sync.lastGood && sync.lastGood !== sync.commit) {
      lines.push(`last good:    ${sync.lastGood}`);
    }
    lines.push(
      `last sync:    ${humanTime(sync.lastSyncAt)}${ago(sync.lastSyncAt, now)}: ${sync.result}`,
    );
    if (sync.reason) lines.push(`reason:       ${sync.reason}`);
    if (sync.rejected) lines.push(`rejected:     ${sync.rejected}`);
    const q = sync.quarantined;
    if (q) {
      lines.push(
        `quarantined:  ${q.commit} (run ${q.runId}): ${q.reason}; not applied until a newer commit`,
      );
    }
    if (sync.cookbooks?.length) lines.push(`cookbooks:    ${sync.cookbooks.join(", ")}`);
    if (sync.selectionChange) lines.push(`selection:    ${sync.selectionChange}`);
    const discarded = sync.discardedCount ?? sync.discarded?.length;
    if (discarded) lines.push(`discarded:    ${discarded} local edit(s)`);
  }
  if (timer) lines.push(`timer:        ${timerLine(timer)}`);
  const run = state.lastRun;
  if (run) {
    lines.push(
      `last run:     ${run.id} ${run.mode} ${run.result} at ${humanTime(run.at)}${
        ago(run.at, now)
      }${run.commit ? ` (commit ${run.commit.slice(0, 12)})` : ""}`,
    );
  } else lines.push("last run:     none");
  const rollback = state.lastRollback;
  if (rollback) lines.push(`rolled back:  ${rollbackWords(rollback, now)}`);
  if (killed) lines.push(`killed:       ${killedWords(killed)}`);
  for (const [id, p] of Object.entries(state.pending ?? {})) {
    lines.push(
      `pending:      ${id}: ${p.action} after ${p.triggeredBy.join(", ")} changed, due since ${
        humanTime(p.since)
      }${ago(p.since, now)}${p.error ? `; last try: ${p.error.split("\n")[0]}` : ""}`,
    );
  }
  return lines.map(printable);
}
