/**
 * One `cm sync`: fetch → verify signature → validate in a separate work tree
 * → switch the live checkout → apply → record. Holds the run lock throughout.
 *
 * Last-known-good: when the fetch fails, the signature does not verify, or the
 * new commit's cookbooks do not validate, the live checkout stays on (or
 * returns to) the last commit that validated and was applied; that commit is
 * converged again (self-healing goes on while the remote is down), the reason
 * is printed and recorded, and the exit code is 4. Nothing of the bad commit
 * is ever checked out into the live work tree, let alone applied. A new
 * commit is validated exactly as `cm validate` does (loading and `requires`
 * order); should its apply still refuse it as a cookbook error, it is treated
 * the same way. No outcome ever forgets the last good commit.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { Printer } from "../cli/output.ts";
import type { RunReport } from "../engine/report.ts";
import { applyCookbooks } from "../cli/apply.ts";
import { EXIT } from "../cli/exit.ts";
import { CookbookError, formatProblem } from "../cookbook/errors.ts";
import { validateCookbooks } from "../engine/validate.ts";
import { acquireLock } from "../state/lock.ts";
import { type StatePaths, statePaths } from "../state/paths.ts";
import { readState, writeState } from "../state/store.ts";
import type { SyncSettings } from "./config.ts";
import { type Credentials, readCredentials, redact } from "./credentials.ts";
import { Git, GitError } from "./git.ts";
import { printable } from "./printable.ts";
import { verifyCommit } from "./signature.ts";

/** Options of one sync besides the settings. */
export interface SyncOptions {
  stateDir?: string;
  /** Skip applying when the commit did not change. */
  onlyIfChanged?: boolean;
  /** Seconds to wait for another run's lock. */
  lockTimeout?: number;
  /** Print the apply report as JSON (as `cm apply --json`). */
  json?: boolean;
  /** The host name for `nodes/<hostname>.yaml` (default: this machine's). */
  hostname?: string;
}

/** How a sync ended. */
export type SyncResult = "applied" | "converged" | "skipped" | "kept" | "failed";

/** What `cm sync` records under `sync` in the state file. */
export interface SyncState {
  repo: string;
  branch: string;
  /** Commit checked out in the live work tree. */
  commit?: string;
  /** Last commit that validated and was applied. */
  lastGood?: string;
  lastSyncAt: string;
  result: SyncResult;
  /** Why the last good commit was kept, or what failed. */
  reason?: string;
  /** The commit refused by the last sync, if any. */
  rejected?: string;
  /** Cookbooks applied, relative to the repository. */
  cookbooks?: string[];
  /** Run id of the apply, when one ran. */
  runId?: string;
  /** Local edits to the checkout that were discarded. */
  discarded?: string[];
}

/** The outcome of {@link syncOnce}. */
export interface SyncOutcome {
  code: number;
  state: SyncState;
  report?: RunReport;
}

/** The ref that keeps the last good commit's objects. */
export const LAST_GOOD_REF = "refs/cm/last-good";

const short = (commit?: string) => commit?.slice(0, 12) ?? "none";

/** The cookbook files for a work tree: the explicit list, else nodes/<hostname>.yaml, else default.yaml. */
export function resolveCookbooks(
  exec: Executor,
  dir: string,
  explicit: string[] | undefined,
  hostname: string,
): { files: string[]; relative: string[] } | { error: string } {
  if (explicit?.length) return { files: explicit.map((p) => `${dir}/${p}`), relative: explicit };
  const host = hostname.split(".")[0];
  for (const rel of [`nodes/${host}.yaml`, "default.yaml"]) {
    if (exec.stat(`${dir}/${rel}`)?.kind === "file") {
      return { files: [`${dir}/${rel}`], relative: [rel] };
    }
  }
  return {
    error:
      `neither nodes/${host}.yaml nor default.yaml exists in the repository, and no --cookbook was given`,
  };
}

/** Problems as `file:line:col: ...` lines, files in `dir` named `<commit>:path`. */
function problemLines(error: CookbookError, dir: string, commit: string): string[] {
  return error.problems.map((p) =>
    formatProblem({
      ...p,
      at: { ...p.at, file: p.at.file.replace(`${dir}/`, `${short(commit)}:`) },
    })
  );
}

/** Runs one sync under the run lock. */
export async function syncOnce(
  settings: SyncSettings,
  exec: Executor,
  printer: Printer,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const paths = statePaths(options.stateDir);
  exec.mkdir(paths.dir, { mode: 0o700 });
  const lock = await acquireLock(
    paths.lock,
    (options.lockTimeout ?? 300) * 1000,
    "cm sync",
    (message) => printer.err(message),
  );
  try {
    return await syncLocked(settings, exec, printer, options, paths);
  } finally {
    lock.release();
  }
}

async function syncLocked(
  settings: SyncSettings,
  exec: Executor,
  printer: Printer,
  options: SyncOptions,
  paths: StatePaths,
): Promise<SyncOutcome> {
  // Everything printed or recorded about a commit may come from whoever can push: no controls.
  const note = (line: string) => printer.err(`sync: ${printable(line)}`);
  const previous = readState(exec, paths).sync as Partial<SyncState> | undefined;
  const credentials: Credentials = settings.credentials
    ? readCredentials(exec, settings.credentials)
    : { kind: "token", env: {}, secrets: [] };
  const secrets = credentials.secrets;
  const git = new Git(exec, paths.repo, credentials.env, secrets);
  const hostname = options.hostname ?? Deno.hostname();
  const url = redact(settings.repo, secrets);
  const state: SyncState = {
    repo: url,
    branch: settings.branch,
    lastSyncAt: new Date().toISOString(),
    result: "failed",
  };
  let lastGood = previous?.lastGood;
  if (
    previous?.repo !== undefined && (previous.repo !== url || previous.branch !== settings.branch)
  ) {
    note(
      `repository or branch changed (was ${previous.repo} ${previous.branch}); last good commit kept until a new one validates`,
    );
  }

  /** Records the outcome; the last good commit is always carried over. */
  const finish = (outcome: SyncOutcome): SyncOutcome => {
    outcome.state = { ...outcome.state, lastGood };
    if (!lastGood) delete outcome.state.lastGood;
    const s = readState(exec, paths);
    s.sync = { ...outcome.state } as Record<string, unknown>;
    writeState(exec, paths, s);
    return outcome;
  };

  /** Converges `commit` from the live checkout (when allowed) and records the outcome. */
  const applyLive = async (
    commit: string,
    result: SyncResult,
    code: number,
    discarded: string[],
  ): Promise<SyncOutcome> => {
    const chosen = resolveCookbooks(exec, paths.repo, settings.cookbooks, hostname);
    if ("error" in chosen) {
      // Only reachable when the live checkout lost its cookbooks (the commit validated before).
      if (result === "applied") return await keep(`cookbooks invalid: ${chosen.error}`, commit);
      return finish({
        code: EXIT.syncKept,
        state: { ...state, result: "failed", reason: chosen.error },
      });
    }
    state.cookbooks = chosen.relative;
    if (discarded.length) state.discarded = discarded;
    let report: RunReport;
    let applyCode: number;
    try {
      ({ report, code: applyCode } = await applyCookbooks(chosen.files, exec, printer, {
        stateDir: options.stateDir ?? paths.dir,
        locked: true,
        commit,
        json: options.json,
      }));
    } catch (error) {
      if (!(error instanceof CookbookError)) throw error;
      const lines = problemLines(error, paths.repo, commit);
      // A new commit that validated but whose apply still refused it: nothing of it ran.
      if (result === "applied") return await refuse(lines, commit);
      // The last good commit itself: nothing to fall back to; recorded, and an error (exit 2).
      state.result = "failed";
      state.reason = `cookbooks of ${short(commit)} no longer validate: ${lines.length} problem(s)`;
      finish({ code: EXIT.usage, state });
      throw error;
    }
    state.runId = report.id;
    if (result === "applied" || result === "converged") {
      lastGood = commit;
      state.lastGood = commit;
      await git.mark(LAST_GOOD_REF, commit);
    }
    if (report.result === "failed" && result !== "kept") state.result = "failed";
    else state.result = result;
    return finish({ code: code !== EXIT.ok ? code : applyCode, state, report });
  };

  /** Keeps the last good commit: the live checkout returns to it and it is converged again. */
  const keep = async (why: string, rejected?: string): Promise<SyncOutcome> => {
    const reason = printable(why);
    note(`${rejected ? `rejected ${short(rejected)}: ` : ""}${reason}`);
    Object.assign(state, { result: "kept", reason, ...(rejected ? { rejected } : {}) });
    delete state.runId;
    delete state.cookbooks;
    if (!lastGood || !git.isRepo() || !(await git.hasCommit(lastGood))) {
      note(
        lastGood
          ? `last good commit ${short(lastGood)} is no longer in ${paths.repo}: nothing applied`
          : "no good commit to fall back to yet: nothing applied",
      );
      return finish({ code: EXIT.syncKept, state: { ...state, commit: undefined } });
    }
    state.commit = lastGood;
    const discarded = await discardLocalEdits();
    if ((await git.head()) !== lastGood) await git.checkout(lastGood);
    note(`kept last good commit ${short(lastGood)}`);
    if (options.onlyIfChanged) {
      if (discarded.length) state.discarded = discarded;
      return finish({ code: EXIT.syncKept, state });
    }
    return await applyLive(lastGood, "kept", EXIT.syncKept, discarded);
  };

  /** Refuses `commit` for cookbook problems (already formatted), keeping the last good one. */
  const refuse = async (lines: string[], commit: string): Promise<SyncOutcome> => {
    for (const line of lines) printer.err(printable(line));
    return await keep(
      `cookbooks invalid: ${lines.length} problem(s): ${lines.slice(0, 3).join("; ")}`,
      commit,
    );
  };

  const discardLocalEdits = async (): Promise<string[]> => {
    if ((await git.head()) === null) return [];
    const edits = await git.localEdits();
    if (edits.length) {
      note(
        `discarding ${edits.length} local edit(s) in ${paths.repo}: ${
          edits.slice(0, 10).join(", ")
        }${edits.length > 10 ? ", ..." : ""}`,
      );
    }
    return edits;
  };

  // 1. Fetch.
  let fetched: string;
  try {
    if (!git.isRepo()) await git.init(settings.repo);
    else await git.setOrigin(settings.repo);
    fetched = await git.fetch(settings.branch);
  } catch (error) {
    if (error instanceof GitError) {
      return await keep(`fetch from ${url} failed: ${redact(error.message, secrets)}`);
    }
    throw error;
  }
  state.commit = previous?.commit;
  const current = await git.head();
  const changed = fetched !== current || fetched !== lastGood;

  if (!changed) {
    // 2a. Same commit: converge (self-healing) unless --only-if-changed.
    const discarded = await discardLocalEdits();
    if (discarded.length) await git.checkout(fetched);
    state.commit = fetched;
    if (options.onlyIfChanged) {
      note(`no new commit (${short(fetched)}); --only-if-changed: nothing applied`);
      if (discarded.length) state.discarded = discarded;
      return finish({ code: EXIT.ok, state: { ...state, result: "skipped" } });
    }
    note(`no new commit (${short(fetched)}); converging`);
    return await applyLive(fetched, "converged", EXIT.ok, discarded);
  }

  // 2b. New commit: signature first, before anything of it is read (its subject included).
  const was = `(was ${short(current ?? undefined)})`;
  if (settings.verifySignatures) {
    note(`new commit ${short(fetched)} ${was}`);
    const verdict = await verifyCommit(git, exec, fetched, settings.trustedKeys!, paths.dir);
    if (!verdict.ok) return await keep(`signature check failed: ${verdict.reason}`, fetched);
    const subject = await git.subject(fetched);
    note(
      `signature of ${short(fetched)} verified (${verdict.signer})${
        subject ? `: "${subject}"` : ""
      }`,
    );
  } else {
    const subject = await git.subject(fetched);
    note(`new commit ${short(fetched)}${subject ? ` "${subject}"` : ""} ${was}`);
  }

  // 3. Validate in a separate work tree; the live one is not touched.
  const candidate = `${paths.dir}/candidate`;
  try {
    await git.addWorktree(candidate, fetched);
    const chosen = resolveCookbooks(exec, candidate, settings.cookbooks, hostname);
    if ("error" in chosen) return await keep(`cookbooks invalid: ${chosen.error}`, fetched);
    try {
      await validateCookbooks(chosen.files, exec);
    } catch (error) {
      if (!(error instanceof CookbookError)) throw error;
      return await refuse(problemLines(error, candidate, fetched), fetched);
    }
  } catch (error) {
    if (error instanceof GitError) {
      return await keep(`cannot check out ${short(fetched)}: ${error.message}`, fetched);
    }
    throw error;
  } finally {
    await git.removeWorktree(candidate);
  }

  // 4. Switch the live checkout, then apply.
  const discarded = await discardLocalEdits();
  try {
    await git.checkout(fetched);
  } catch (error) {
    if (error instanceof GitError) {
      return await keep(`cannot check out ${short(fetched)}: ${error.message}`, fetched);
    }
    throw error;
  }
  state.commit = fetched;
  return await applyLive(fetched, "applied", EXIT.ok, discarded);
}
