/**
 * One `cm sync`: fetch → verify signature → validate in a separate work tree
 * → switch the live checkout → converge → record. Holds the run lock throughout.
 * Each stage is a function that either hands on or says why the last good
 * commit is kept; {@link syncOnce} only threads them.
 *
 * Last-known-good: when the fetch fails, the signature does not verify, or the
 * new commit's cookbooks do not validate, the live checkout stays on (or
 * returns to) the last commit that validated and was applied; that commit is
 * converged again (self-healing goes on while the remote is down), the reason
 * is noted and recorded, and the outcome is "kept". Nothing of the bad commit
 * is ever checked out into the live work tree, let alone applied. A new
 * commit is validated exactly as `cm validate` does (loading and `requires`
 * order); should its apply still refuse it as a cookbook error, it is treated
 * the same way. No outcome ever forgets the last good commit.
 *
 * `--check` ({@link SyncOptions.check}) takes the same steps up to the
 * converge, which it plans instead, from a clean work tree of the commit a
 * sync would converge: the live checkout stays where it is (its local edits
 * are listed, not discarded), nothing is recorded, the machine is untouched.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { RunReport } from "../engine/report.ts";
import type { RunEvents } from "../engine/run.ts";
import { CookbookError, formatProblem } from "../errors.ts";
import { converge, cookbookOf, type Interrupts } from "../app/converge.ts";
import type { HealthCheck } from "../cookbook/health_schema.ts";
import { validateCookbooks } from "../app/validate.ts";
import { DEFAULT_LOCK_TIMEOUT } from "../state/lock.ts";
import { humanTime } from "../text.ts";
import { refuseWhenDisabled } from "../state/disabled.ts";
import { takeRunLock } from "../app/abandoned.ts";
import { type StatePaths, statePaths } from "../state/paths.ts";
import { readState, type SyncRecord, type SyncStatus, writeState } from "../state/store.ts";
import type { SyncSettings } from "./config.ts";
import { readCredentials, redact } from "./credentials.ts";
import { Git, GitError } from "./git.ts";
import { printable } from "../exec/output.ts";
import { verifyCommit } from "./signature.ts";
import { hostNames, resolveCookbooks, selectionChange } from "./selection.ts";

/** Live output of a sync. Everything passed on is printable (no control characters). */
export interface SyncEvents {
  /** A line about the sync itself: what was fetched, verified, kept, discarded. */
  note?(line: string): void;
  /** Why a commit was refused or kept back, or a change the operator must see (a warning). */
  warning?(line: string): void;
  /** One `commit:file:line:col: ...` problem of a refused commit. */
  problem?(line: string): void;
  /** The converge's own events. */
  run?: RunEvents;
}

/** Options of one sync besides the settings. */
export interface SyncOptions {
  stateDir?: string;
  /** Skip applying when the commit did not change. */
  onlyIfChanged?: boolean;
  /** Seconds to wait for another run's lock. */
  lockTimeout?: number;
  /** The host name for `nodes/<hostname>.yaml` (default: this machine's FQDN, then short name). */
  hostname?: string;
  events?: SyncEvents;
  /** Watches for stop requests while an apply runs (see {@link converge}). */
  interrupts?: () => Interrupts;
  /**
   * Plan instead of apply (`cm sync --check`): fetch, verify and validate as
   * a sync does, then plan what it would converge. The machine, the live
   * checkout and the state are left as they are (the fetched objects stay in
   * the repository); allowed while `cm disable` stands.
   */
  check?: boolean;
  /** Put unified diffs of content changes into the results. */
  diff?: boolean;
}

/**
 * How one sync ended: its status, why, the apply's report when one ran (the
 * plan's under `check`), and what was recorded (under `check`: what would be).
 */
export interface SyncOutcome {
  status: SyncStatus;
  reason?: string;
  report?: RunReport;
  record: SyncRecord;
}

/** The ref that keeps the last good commit's objects. */
export const LAST_GOOD_REF = "refs/cm/last-good";

const short = (commit?: string) => commit?.slice(0, 12) ?? "none";

/**
 * Runs one sync under the run lock and records it in the state file.
 *
 * @throws {CookbookError} when the last good commit's own cookbooks no longer load
 * @throws {CredentialsError} for a credentials file cm refuses to use
 * @throws {LockTimeoutError} when another run keeps the lock past the timeout
 * @throws {DisabledError} while `cm disable` stands (not under `check`): nothing fetched or applied
 */
export async function syncOnce(
  settings: SyncSettings,
  exec: Executor,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const paths = statePaths(options.stateDir);
  exec.mkdir(paths.dir, { mode: 0o700 });
  const timeoutMs = (options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT) * 1000;
  // A check fetches into the repository too: under the lock, as a sync.
  using _lock = await takeRunLock(exec, paths, {
    timeoutMs,
    command: options.check ? "cm sync --check" : "cm sync",
    onWait: (message) => options.events?.note?.(message),
    warn: (line) => options.events?.warning?.(line),
  });
  if (!options.check) refuseWhenDisabled(exec, paths, "cm sync");
  const sync = session(settings, exec, options, paths, await hostNames(exec, options.hostname));
  const fetched = await fetchStage(sync);
  if (typeof fetched !== "string") return await keepLastGood(sync, fetched);
  const quarantined = sync.previous?.quarantined;
  if (fetched === quarantined?.commit) {
    return await keepLastGood(sync, {
      keep:
        `commit is quarantined: ${quarantined.reason} (run ${quarantined.runId}); waiting for a newer commit`,
      rejected: fetched,
    });
  }
  const current = await sync.git.head();
  if (fetched === current && fetched === sync.previous?.lastGood) {
    return await sameCommit(sync, fetched);
  }
  const refused = await verifyStage(sync, fetched, current) ??
    await validateStage(sync, fetched);
  if (refused) return await keepLastGood(sync, refused);
  // What a rollback of the new commit is checked against (a plan rolls nothing back).
  const healthBefore = !options.check && current === sync.previous?.lastGood
    ? await checkoutHealth(sync)
    : undefined;
  const switched = await switchStage(sync, fetched);
  if (!Array.isArray(switched)) return await keepLastGood(sync, switched);
  return await convergeStage(
    sync,
    { commit: fetched, status: "applied", discarded: switched },
    healthBefore,
  );
}

/**
 * The health checks of the live checkout's cookbooks (the last good commit,
 * before the switch): what a rollback of the new commit is checked against.
 * `undefined` when they do not load; the new commit's own checks are used then.
 */
async function checkoutHealth(s: Session): Promise<HealthCheck[] | undefined> {
  const chosen = resolveCookbooks(s.exec, s.paths.repo, s.settings.cookbooks, s.hostNames);
  if ("error" in chosen) return undefined;
  try {
    const options = { varsFile: s.settings.varsFile };
    return (await cookbookOf(chosen.files, s.exec, s.paths.dir, options)).health;
  } catch (error) {
    if (error instanceof CookbookError) return undefined;
    throw error;
  }
}

/** Everything the stages share; fixed for the whole sync. */
interface Session {
  settings: SyncSettings;
  exec: Executor;
  options: SyncOptions;
  paths: StatePaths;
  git: Git;
  /** The repository URL with secrets redacted, as printed and recorded. */
  url: string;
  secrets: readonly string[];
  /** Names to look for as nodes/<name>.yaml, most specific first. */
  hostNames: string[];
  /** The record of the sync before this one. */
  previous?: SyncRecord;
  startedAt: string;
  note(line: string): void;
  warn(line: string): void;
}

/** Why the last good commit is kept instead of `rejected` (when a commit was refused). */
interface Keep {
  keep: string;
  rejected?: string;
  /** The commit's signature did not verify. */
  badSignature?: true;
}

/** How a sync ended, before it is recorded. */
interface Ending {
  status: SyncStatus;
  commit?: string;
  reason?: string;
  rejected?: string;
  cookbooks?: string[];
  /** The cookbook selection change this sync saw. */
  selectionChange?: string;
  /** The selection before that change: once it is back, the change is over. */
  selectedBefore?: string[];
  discarded?: string[];
  report?: RunReport;
  /** A commit that just validated and was applied. */
  good?: string;
  /** A commit just rolled back after its apply failed health. */
  quarantined?: SyncRecord["quarantined"];
  /** The applied commit's committer time (ISO). */
  commitTime?: string;
  /** The refused commit's signature did not verify. */
  badSignature?: true;
}

function session(
  settings: SyncSettings,
  exec: Executor,
  options: SyncOptions,
  paths: StatePaths,
  names: string[],
): Session {
  // Everything printed or recorded about a commit may come from whoever can push: no controls.
  const note = (line: string) => options.events?.note?.(printable(line));
  const warn = (line: string) => options.events?.warning?.(printable(line));
  const credentials = settings.credentials
    ? readCredentials(exec, settings.credentials)
    : { env: {}, secrets: [] };
  const previous = readState(exec, paths).sync;
  const url = redact(settings.repo, credentials.secrets);
  if (previous && (previous.repo !== url || previous.branch !== settings.branch)) {
    note(
      `repository or branch changed (was ${previous.repo} ${previous.branch}); last good commit kept until a new one validates`,
    );
  }
  return {
    settings,
    exec,
    options,
    paths,
    git: new Git(exec, paths.repo, credentials.env, credentials.secrets),
    url,
    secrets: credentials.secrets,
    hostNames: names,
    previous,
    startedAt: new Date().toISOString(),
    note,
    warn,
  };
}

/** Stage 1: fetches the branch; the commit it points at, or why to keep the last good one. */
async function fetchStage(s: Session): Promise<string | Keep> {
  for (const line of await s.git.recover()) s.warn(line);
  for (let attempt = 1;; attempt++) {
    try {
      if (!s.git.isRepo()) await s.git.init(s.settings.repo);
      else await s.git.setOrigin(s.settings.repo);
      return await s.git.fetch(s.settings.branch);
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      // Once: a fetch that failed on a damaged checkout is tried again into a fresh one.
      if (attempt === 1 && await discardDamaged(s)) continue;
      return { keep: `fetch from ${s.url} failed: ${redact(error.message, s.secrets)}` };
    }
  }
}

/**
 * After git failed in the live checkout: when git finds the repository itself
 * damaged (see {@link Git.damage}), it is removed and fetched afresh (the
 * last good commit by its id, while the remote has it); not under `check`.
 * Whether it was.
 */
async function discardDamaged(s: Session): Promise<boolean> {
  // A check leaves the checkout as it is.
  if (s.options.check) return false;
  const damage = await s.git.damage();
  if (!damage) return false;
  await s.git.discard();
  s.warn(`git cannot use ${s.paths.repo} (${damage}): removed, fetching afresh`);
  return true;
}

/** The fetched commit is the one applied last: converge it again unless --only-if-changed. */
async function sameCommit(s: Session, commit: string): Promise<SyncOutcome> {
  let discarded: string[];
  try {
    discarded = await checkOut(s, commit);
  } catch (error) {
    return await notCheckedOut(s, commit, error);
  }
  if (s.options.onlyIfChanged) {
    s.note(`no new commit (${short(commit)}); --only-if-changed: nothing applied`);
    return finish(s, { status: "skipped", commit, discarded });
  }
  s.note(`no new commit (${short(commit)}); ${s.options.check ? "planning" : "converging"}`);
  return await convergeStage(s, { commit, status: "converged", discarded });
}

/** Stage 2: the signature, checked before anything of the new commit is read (its subject included). */
async function verifyStage(
  s: Session,
  fetched: string,
  current: string | null,
): Promise<Keep | undefined> {
  // The branch still on the commit refused last time: checked again, but not news.
  const again = s.previous?.rejected === fetched;
  const seen = again ? `commit ${short(fetched)}` : `new commit ${short(fetched)}`;
  const was = again
    ? "(refused last time; checking it again)"
    : `(was ${short(current ?? undefined)})`;
  if (!s.settings.verifySignatures) {
    const subject = await s.git.subject(fetched);
    s.note(`${seen}${subject ? ` "${subject}"` : ""} ${was}`);
    return undefined;
  }
  s.note(`${seen} ${was}`);
  const verdict = await verifyCommit(s.git, s.exec, fetched, s.settings.trustedKeys!, s.paths.dir);
  if (!verdict.ok) {
    return {
      keep: `signature check failed: ${verdict.reason}`,
      rejected: fetched,
      badSignature: true,
    };
  }
  const subject = await s.git.subject(fetched);
  s.note(
    `signature of ${short(fetched)} verified (${verdict.signer})${subject ? `: "${subject}"` : ""}`,
  );
  const downgrade = await olderThanLastGood(s, fetched);
  return downgrade ? { keep: downgrade, rejected: fetched } : undefined;
}

/** How far a commit's time may run ahead of this node's clock (clock skew) before it is refused. */
const MAX_COMMIT_AHEAD_MS = 86_400_000;

/**
 * Why a signed commit older than the last good one is refused: anyone who
 * can push (or stands between the node and the server) could otherwise
 * replay an old, validly signed commit and bring back what a later one fixed
 * (the rollback attack of The Update Framework). Going back is a new commit
 * (a revert), which is newer. A commit dated more than a day after this
 * node's clock is refused too: as the last good commit it would make every
 * later commit look older, revert included, until that date. A last good
 * commit already dated so far ahead is no measure. `null` when `fetched` is fine.
 */
async function olderThanLastGood(s: Session, fetched: string): Promise<string | null> {
  const ahead = Date.now() + MAX_COMMIT_AHEAD_MS;
  const now = await s.git.commitTime(fetched);
  if (now && Date.parse(now) > ahead) {
    return `commit ${short(fetched)} is committed ${
      humanTime(now)
    }, more than a day after this node's clock (${
      humanTime(new Date())
    }): refusing it, or every later commit would be refused as older; commit again with the clock right`;
  }
  const last = s.previous?.lastGood;
  if (!last || last === fetched) return null;
  const then = await s.git.commitTime(last);
  if (!then || !now || Date.parse(now) >= Date.parse(then) || Date.parse(then) > ahead) return null;
  return `commit ${short(fetched)} (committed ${
    humanTime(now)
  }) is older than the last good commit ${short(last)} (committed ${
    humanTime(then)
  }): refusing a downgrade of signed cookbooks; to go back, commit a revert`;
}

/** Stage 3: validates the new commit in a separate work tree; the live one is not touched. */
async function validateStage(s: Session, fetched: string): Promise<Keep | undefined> {
  const candidate = candidateDir(s);
  try {
    await s.git.addWorktree(candidate, fetched);
    const chosen = resolveCookbooks(s.exec, candidate, s.settings.cookbooks, s.hostNames);
    if ("error" in chosen) return { keep: `cookbooks invalid: ${chosen.error}`, rejected: fetched };
    await validateCookbooks(chosen.files, s.exec, { varsFile: s.settings.varsFile });
    return undefined;
  } catch (error) {
    if (error instanceof CookbookError) return refusal(s, error, candidate, fetched);
    if (!(error instanceof GitError)) throw error;
    return { keep: `cannot check out ${short(fetched)}: ${error.message}`, rejected: fetched };
  } finally {
    await s.git.removeWorktree(candidate);
  }
}

/** The work tree a commit is validated (and, under `check`, planned) in; never the live one. */
const candidateDir = (s: Session) => `${s.paths.dir}/candidate`;

/** Stage 4: moves the live checkout to the new commit; the local edits it discarded. */
async function switchStage(s: Session, fetched: string): Promise<string[] | Keep> {
  try {
    return await checkOut(s, fetched);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    return { keep: `cannot check out ${short(fetched)}: ${error.message}`, rejected: fetched };
  }
}

/**
 * Stage 5: converges `commit` from the live checkout and records the outcome;
 * under `check`, plans it from a clean work tree of it instead.
 */
async function convergeStage(
  s: Session,
  ending: Ending & { commit: string; discarded: string[] },
  healthBefore?: HealthCheck[],
): Promise<SyncOutcome> {
  if (!s.options.check) return await convergeIn(s, s.paths.repo, ending, healthBefore);
  // A fallback to the last good commit (below) comes after this tree's last use.
  const tree = candidateDir(s);
  try {
    await s.git.addWorktree(tree, ending.commit);
    return await convergeIn(s, tree, ending);
  } finally {
    await s.git.removeWorktree(tree);
  }
}

/**
 * Converges (plans, under `check`) `commit`, checked out in `dir`. A new
 * commit ("applied") the apply still refuses falls back to the last good one.
 */
async function convergeIn(
  s: Session,
  dir: string,
  ending: Ending & { commit: string; discarded: string[] },
  healthBefore?: HealthCheck[],
): Promise<SyncOutcome> {
  const { commit, status } = ending;
  const chosen = resolveCookbooks(s.exec, dir, s.settings.cookbooks, s.hostNames);
  if ("error" in chosen) {
    // Only reachable when the live checkout lost its cookbooks (the commit validated before).
    if (status === "applied") {
      return await keepLastGood(s, {
        keep: `cookbooks invalid: ${chosen.error}`,
        rejected: commit,
      });
    }
    return finish(s, { status: "failed", commit, reason: chosen.error, rejected: ending.rejected });
  }
  // Compared with the selection before a change still going on, so it stays recorded until it is over.
  const before = s.previous?.selectedBefore ?? s.previous?.cookbooks;
  const change = selectionChange(
    before,
    chosen.relative,
    !!s.settings.cookbooks?.length,
    s.hostNames,
  );
  const selection = change ? { selectionChange: change, selectedBefore: before } : {};
  if (change) {
    // Said once per change: the state keeps it, and `cm status` shows it until it is over.
    if (change !== s.previous?.selectionChange) s.warn(change);
    if (s.settings.refuseCookbookChange) {
      return await refuseSelection(s, { ...ending, ...selection }, change);
    }
  }
  const applying = { ...ending, cookbooks: chosen.relative, ...selection };
  let report: RunReport;
  try {
    report = await converge(chosen.files, s.exec, {
      mode: s.options.check ? "plan" : "apply",
      diff: s.options.diff,
      stateDir: s.paths.dir,
      lock: "held",
      commit,
      wholeNode: true,
      varsFile: s.settings.varsFile,
      events: s.options.events?.run,
      interrupts: s.options.interrupts,
      healthBefore,
    });
  } catch (error) {
    if (!(error instanceof CookbookError)) throw error;
    const refused = refusal(s, error, dir, commit);
    // A new commit that validated but whose apply still refused it: nothing of it ran.
    if (status === "applied") return await keepLastGood(s, refused, ending.discarded);
    // The last good commit itself: nothing to fall back to; recorded, and an error.
    finish(s, {
      ...applying,
      status: "failed",
      reason: `cookbooks of ${short(commit)} no longer validate (${refused.keep})`,
    });
    throw error;
  }
  if (report.rollback && status === "applied") return await quarantine(s, applying, report);
  const good = status === "applied" || status === "converged" ? commit : undefined;
  if (good && !s.options.check) await markLastGood(s, good);
  const failed = report.result === "failed" && status !== "kept";
  return finish(s, {
    ...applying,
    status: failed ? "failed" : status,
    ...(failed ? { reason: failedReason(report) } : {}),
    report,
    ...(good ? { good } : {}),
    commitTime: await s.git.commitTime(commit),
  });
}

/**
 * Keeps `commit`'s objects under {@link LAST_GOOD_REF}. The apply is done:
 * a failure is a warning, and a damaged checkout is removed (the next sync
 * fetches afresh).
 */
async function markLastGood(s: Session, commit: string): Promise<void> {
  try {
    await s.git.mark(LAST_GOOD_REF, commit);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    if (!(await discardDamaged(s))) {
      s.warn(`cannot record ${short(commit)} as ${LAST_GOOD_REF}: ${error.message}`);
    }
  }
}

/** "2 failed: file[/x]: denied; service[nginx]: restart after ... exited 1", the first three. */
function failedReason(report: RunReport): string {
  const failures = [
    ...report.resources.filter((r) => r.status === "failed"),
    ...report.handlers.filter((h) => h.status === "failed"),
  ].map((r) => `${r.id}: ${r.error}`);
  return printable(
    `${failures.length} failed: ${failures.slice(0, 3).join("; ")}${
      failures.length > 3 ? "; ..." : ""
    }`,
  );
}

/**
 * Keeps the last good commit: the live checkout returns to it and it is
 * converged again (unless --only-if-changed). `discarded` are local edits this
 * sync already threw away.
 */
async function keepLastGood(s: Session, why: Keep, discarded: string[] = []): Promise<SyncOutcome> {
  const reason = printable(why.keep);
  s.warn(`${why.rejected ? `rejected ${short(why.rejected)}: ` : ""}${reason}`);
  const kept = {
    status: "kept" as const,
    reason,
    rejected: why.rejected,
    ...(why.badSignature ? { badSignature: why.badSignature } : {}),
  };
  const lastGood = s.previous?.lastGood;
  // A checkout fetched afresh or damaged lost it: fetched again while the remote has it.
  if (!lastGood || !s.git.isRepo() || !(await s.git.fetchCommit(lastGood))) {
    s.note(
      lastGood
        ? `last good commit ${
          short(lastGood)
        } is no longer in ${s.paths.repo} nor to be fetched: nothing applied`
        : "no good commit to fall back to yet: nothing applied",
    );
    return finish(s, { ...kept, discarded });
  }
  let edits: string[];
  try {
    edits = [...discarded, ...await checkOut(s, lastGood)];
  } catch (error) {
    return await notCheckedOut(s, lastGood, error, { ...kept, discarded });
  }
  s.note(`${s.options.check ? "would keep" : "kept"} last good commit ${short(lastGood)}`);
  const ending = { ...kept, commit: lastGood, discarded: edits };
  if (s.options.onlyIfChanged) return finish(s, ending);
  const quarantined = s.previous?.quarantined;
  if (quarantined?.commit === lastGood) {
    // Rolled back by hand: converging it would undo the rollback.
    s.note(
      `last good commit ${
        short(lastGood)
      } is quarantined (${quarantined.reason}, run ${quarantined.runId}): nothing applied until a newer commit`,
    );
    return finish(s, ending);
  }
  return await convergeStage(s, ending);
}

/**
 * The live checkout could not be moved to `commit` (a file made immutable on
 * the node, a full disk, damaged objects): nothing is applied, and the sync
 * is recorded as failed, on the commit the last sync left; a damaged
 * checkout is removed, for the next sync to fetch afresh. `ending` is how
 * the sync was ending before (a refused commit). Anything but a git failure
 * is rethrown.
 */
async function notCheckedOut(
  s: Session,
  commit: string,
  error: unknown,
  ending: Omit<Ending, "status"> = {},
): Promise<SyncOutcome> {
  if (!(error instanceof GitError)) throw error;
  const why = `cannot check out ${short(commit)} in ${s.paths.repo}: ${
    redact(error.message, s.secrets)
  }; nothing applied`;
  s.warn(why);
  await discardDamaged(s);
  return finish(s, {
    ...ending,
    status: "failed",
    commit: s.previous?.commit,
    reason: printable(ending.reason ? `${ending.reason}; ${why}` : why),
  });
}

/**
 * A new commit whose apply failed health and was rolled back: quarantined
 * (not applied again until a newer commit arrives), and the live checkout
 * back on the last good commit, which the machine now matches again.
 */
async function quarantine(
  s: Session,
  ending: Ending & { commit: string },
  report: RunReport,
): Promise<SyncOutcome> {
  const { commit } = ending;
  const check = report.health?.checks.find((c) => !c.ok);
  const why = report.health?.failures[0] ??
    (check ? `health check ${check.id}: ${check.detail}` : "health failed");
  const reason = `health failed after applying it (${why}); rolled back`;
  s.note(`quarantined ${short(commit)}: ${reason}; not applied again until a newer commit`);
  const lastGood = s.previous?.lastGood;
  if (lastGood && await s.git.fetchCommit(lastGood)) await s.git.checkout(lastGood);
  return finish(s, {
    ...ending,
    status: "kept",
    commit: lastGood ?? commit,
    reason: printable(`${short(commit)} quarantined: ${reason}`),
    rejected: commit,
    report,
    quarantined: { commit, runId: report.id, reason: printable(reason) },
  });
}

/**
 * `on_cookbook_change: refuse`: a new commit that changes the selection is
 * refused like an invalid one; otherwise (the host was renamed) nothing is
 * applied and the previous selection stays recorded, so every sync refuses
 * until the node's file is back or the configuration names the cookbooks.
 */
async function refuseSelection(
  s: Session,
  ending: Ending & { commit: string },
  change: string,
): Promise<SyncOutcome> {
  const keep = `${change}: refused (on_cookbook_change: refuse)`;
  if (ending.status === "applied") return await keepLastGood(s, { keep, rejected: ending.commit });
  return finish(s, {
    ...ending,
    status: "kept",
    reason: ending.reason ? `${ending.reason}; ${keep}` : keep,
    cookbooks: s.previous?.cookbooks,
    selectionChange: change,
  });
}

/** The last good commit kept instead of `commit` for its cookbook problems (each one passed on). */
function refusal(s: Session, error: CookbookError, dir: string, commit: string): Keep {
  const lines = error.problems.map((p) =>
    formatProblem({
      ...p,
      at: { ...p.at, file: p.at.file.replace(`${dir}/`, `${short(commit)}:`) },
    })
  );
  for (const line of lines) s.options.events?.problem?.(printable(line));
  return {
    keep: `cookbooks invalid: ${lines.length} problem(s): ${lines.slice(0, 3).join("; ")}`,
    rejected: commit,
  };
}

/**
 * Moves the live checkout to `commit`, throwing its local edits away; the
 * edits, noted. Under `check` nothing moves: the edits are noted as what a
 * sync would discard.
 */
async function checkOut(s: Session, commit: string): Promise<string[]> {
  const edits = await localEdits(s);
  if (s.options.check) return edits;
  if (edits.length || (await s.git.head()) !== commit) await s.git.checkout(commit);
  return edits;
}

/** Local edits in the live checkout, noted. */
async function localEdits(s: Session): Promise<string[]> {
  if ((await s.git.head()) === null) return [];
  const edits = await s.git.localEdits();
  if (edits.length) {
    s.note(
      `${
        s.options.check ? "would discard" : "discarding"
      } ${edits.length} local edit(s) in ${s.paths.repo}: ${edits.slice(0, 10).join(", ")}${
        edits.length > 10 ? ", ..." : ""
      }`,
    );
  }
  return edits;
}

/**
 * Records how the sync ended; the last good commit is always carried over.
 * Under `check` nothing is written: the record is what a sync would write.
 */
function finish(s: Session, ending: Ending): SyncOutcome {
  const record = syncRecord(s, ending);
  if (!s.options.check) {
    const state = readState(s.exec, s.paths);
    state.sync = record;
    writeState(s.exec, s.paths, state);
  }
  return {
    status: ending.status,
    ...(ending.reason ? { reason: ending.reason } : {}),
    ...(ending.report ? { report: ending.report } : {}),
    record,
  };
}

/**
 * The selection change to record: the one this sync saw; none once a sync
 * applied cookbooks without seeing one (the node's file is back, or the
 * configuration names the cookbooks); else the earlier one, still going on.
 */
function selectionRecord(
  previous: SyncRecord | undefined,
  ending: Ending,
): Pick<SyncRecord, "selectionChange" | "selectedBefore"> {
  if (ending.selectionChange) {
    return { selectionChange: ending.selectionChange, selectedBefore: ending.selectedBefore };
  }
  if (ending.cookbooks) return {};
  return { selectionChange: previous?.selectionChange, selectedBefore: previous?.selectedBefore };
}

/** The most discarded local edits the state lists (a build left in the checkout: thousands). */
const LISTED_EDITS = 100;

/** The state file's record of a sync that ended so. */
function syncRecord(
  s: Pick<Session, "url" | "settings" | "startedAt" | "previous">,
  ending: Ending,
): SyncRecord {
  const lastGood = ending.good ?? s.previous?.lastGood;
  // A newer commit applied lifts the quarantine; the old one stays refused until then.
  const lifted = ending.good !== undefined && ending.good !== s.previous?.lastGood;
  const optional = {
    quarantined: ending.quarantined ?? (lifted ? undefined : s.previous?.quarantined),
    commit: ending.commit,
    lastGood,
    reason: ending.reason,
    rejected: ending.rejected,
    cookbooks: ending.cookbooks,
    ...selectionRecord(s.previous, ending),
    runId: ending.report?.id,
    commitTime: ending.commitTime ??
      (ending.commit === s.previous?.commit ? s.previous?.commitTime : undefined),
    signatureFailures: (s.previous?.signatureFailures ?? 0) + (ending.badSignature ? 1 : 0) ||
      undefined,
    discarded: ending.discarded?.length ? ending.discarded.slice(0, LISTED_EDITS) : undefined,
    discardedCount: (ending.discarded?.length ?? 0) > LISTED_EDITS
      ? ending.discarded?.length
      : undefined,
  };
  return {
    repo: s.url,
    branch: s.settings.branch,
    lastSyncAt: s.startedAt,
    result: ending.status,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}
