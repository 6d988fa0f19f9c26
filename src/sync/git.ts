/**
 * The git operations of `cm sync`, all through the Executor as argv (git runs
 * as its own process: cm itself has no network permission).
 *
 * The checkout under `<state-dir>/repo` is a plain repository with a detached
 * HEAD. Fetches are shallow (`--depth 1`, forced refspec) so force-pushed
 * history costs nothing special and the git server packs one tree per
 * change; `refs/cm/last-good` keeps the last good commit's objects alive.
 *
 * @module
 */
import { GitFailure } from "../errors.ts";
import type { Executor, RunResult } from "../exec/executor.ts";
import { dirname } from "../posix_path.ts";
import { GIT_BASE_ENV, redact } from "./credentials.ts";

/** Seconds a git network operation may take before it is killed. */
export const GIT_TIMEOUT_MS = 300_000;

/** A git failure: the command (redacted) and what git said (see {@linkcode gitSaid}). */
export class GitError extends GitFailure {
  constructor(readonly what: string, readonly result: RunResult) {
    super(`${what}: git exited ${result.code}: ${gitSaid(result.stderr || result.stdout)}`);
    this.name = "GitError";
  }
}

/**
 * git's message on one line: its first line, which names the cause ("fatal: '/srv/x.git' does
 * not appear to be a git repository", "git@host: Permission denied (publickey)."), and its last
 * three, where the generic advice and "Aborting" go; the lines between are cut, and say so.
 */
export function gitSaid(text: string): string {
  const lines = text.trim().split("\n").filter((l) => l.trim());
  if (lines.length > 4) {
    lines.splice(1, lines.length - 4, `(${lines.length - 4} line(s) cut)`);
  }
  return lines.join(" / ") || "(no output)";
}

/** Settings every git of a sync runs with, whatever the checkout's .git/config says. */
const CONFIG = [
  // The `git gc --auto` a fetch starts runs inside it, under the run lock and its timeout;
  // detached, it outlived the sync, its locks in the way of the next.
  "-c",
  "gc.autoDetach=false",
  // A sparse checkout set up on the node would leave cookbooks out of the live checkout and of
  // the work tree a commit is validated in (git worktree add copies it).
  "-c",
  "core.sparseCheckout=false",
  // Root's or the system's git configuration (core.autocrlf = true) would check cookbooks and
  // their source files out with other line endings than committed: what a node deploys is
  // the commit's bytes (a repository's own .gitattributes still has its say).
  "-c",
  "core.autocrlf=false",
  "-c",
  "core.eol=lf",
  // As would a global attributes file (~/.config/git/attributes is read unconfigured:
  // `* text eol=crlf`), and core.symlinks = false, which checks a link out as a file
  // holding its target's name. Nor do hooks a global core.hooksPath names run in the sync
  // (a failing post-checkout fails every checkout), nor a core.fsmonitor hook, which git
  // believes about what changed: a stale one hid the node's edits from status and checkout.
  "-c",
  "core.attributesFile=/dev/null",
  "-c",
  "core.symlinks=true",
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
];

/**
 * Where a fetch puts the branch's commit: one name whatever the branch, so
 * no ref a former branch left (refs/remotes/origin/release) stands in the
 * way of the next one's (release/2026).
 */
const FETCHED_REF = "refs/cm/fetched";

/** Runs git in one repository with the credentials' environment. */
export class Git {
  constructor(
    readonly exec: Executor,
    readonly dir: string,
    readonly env: Record<string, string> = {},
    readonly secrets: readonly string[] = [],
  ) {}

  /** Runs `git -C dir ...args`; never throws. */
  run(
    args: string[],
    options: { timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    return this.exec.run(["git", ...CONFIG, "-C", this.dir, ...args], {
      // A damaged .git must not send git up to a repository around the checkout.
      env: {
        ...GIT_BASE_ENV,
        GIT_CEILING_DIRECTORIES: dirname(this.dir),
        ...this.env,
        ...options.env,
      },
      timeoutMs: options.timeoutMs ?? GIT_TIMEOUT_MS,
    });
  }

  /** Runs git and returns its trimmed stdout; throws {@link GitError} on failure. */
  async ok(
    what: string,
    args: string[],
    options: { timeoutMs?: number; env?: Record<string, string> } = {},
  ) {
    const result = await this.run(args, options);
    if (result.code !== 0) {
      throw new GitError(what, {
        ...result,
        stderr: redact(result.stderr, this.secrets),
        stdout: redact(result.stdout, this.secrets),
      });
    }
    return result.stdout.trim();
  }

  /**
   * Makes the checkout usable again after a killed or damaged run, before
   * anything else touches it: a path that is not a repository of its own
   * (a file, a link, a damaged .git, or one a gitfile or a link redirects)
   * is removed so the next fetch starts afresh, and git's lock files are
   * deleted: under cm's run lock no git process works here, so any is left
   * by one that was killed.
   * Returns what was done, one line each, for a warning.
   */
  async recover(): Promise<string[]> {
    const info = this.exec.stat(this.dir);
    if (!info) return [];
    if (info.kind !== "directory" || !(await this.ownRepository())) {
      await this.discard();
      return [`${this.dir} was not a usable git repository: removed, fetching afresh`];
    }
    const found = await this.exec.run([
      "find",
      `${this.dir}/.git`,
      "-name",
      "objects",
      "-prune",
      "-o",
      "-type",
      "f",
      "-name",
      "*.lock",
      "-print",
    ]);
    const locks = found.stdout.split("\n").filter((l) => l);
    for (const lock of locks) this.exec.remove(lock);
    return locks.map((lock) => `removed ${lock}, left by a git process that was killed`);
  }

  /** Removes the checkout: the next fetch starts afresh. */
  async discard(): Promise<void> {
    await this.exec.run(["rm", "-rf", "--one-file-system", "--", this.dir]);
  }

  /**
   * What `git fsck` finds wrong in the repository (the empty ref and object
   * files a power loss leaves), or null when nothing (or no repository).
   */
  async damage(): Promise<string | null> {
    if (!this.isRepo()) return null;
    const r = await this.run(["fsck", "--no-dangling", "--no-progress"]);
    return r.code === 0 ? null : gitSaid(r.stderr || r.stdout);
  }

  /** Whether `dir` has no .git yet, or one that is a repository in `dir` itself. */
  private async ownRepository(): Promise<boolean> {
    if (!this.isRepo()) return true;
    // A directory: a link would have the sync re-point, check out and clean another repository.
    if (this.exec.stat(`${this.dir}/.git`)?.kind !== "directory") return false;
    // ".git" exactly: not a gitfile leading elsewhere.
    const r = await this.run(["rev-parse", "--git-dir"]);
    return r.code === 0 && r.stdout.trim() === ".git";
  }

  /** Whether `dir` already holds a repository. */
  isRepo(): boolean {
    return this.exec.stat(`${this.dir}/.git`) !== null;
  }

  /** Creates the repository (no checkout yet) and points `origin` at `url`. */
  async init(url: string): Promise<void> {
    this.exec.mkdir(this.dir, { mode: 0o700 });
    await this.ok("git init", ["init", "--quiet"]);
    await this.ok("git remote add", ["remote", "add", "--", "origin", url]);
  }

  /** Points `origin` at `url` when the configuration changed. */
  async setOrigin(url: string): Promise<void> {
    const current = await this.run(["config", "--get", "remote.origin.url"]);
    if (current.code === 0 && current.stdout.trim() === url) return;
    if (current.code === 0) {
      await this.ok("git remote set-url", ["remote", "set-url", "--", "origin", url]);
    } else await this.ok("git remote add", ["remote", "add", "--", "origin", url]);
  }

  /** Fetches `branch` (forced, shallow) and returns the commit it points at. */
  async fetch(branch: string): Promise<string> {
    const what = `git fetch of branch "${branch}"`;
    const args = [
      "fetch",
      "--quiet",
      "--no-tags",
      "--depth=1",
      // No remote-tracking refs/remotes/origin/BRANCH beside it (see FETCHED_REF).
      "--refmap=",
      "origin",
      `+refs/heads/${branch}:${FETCHED_REF}`,
    ];
    try {
      await this.ok(what, args);
    } catch (error) {
      if (!(error instanceof GitError && /couldn't find remote ref/.test(error.result.stderr))) {
        throw error;
      }
      throw new GitError(`${what} (${await this.noBranch(branch)})`, error.result);
    }
    const fetched = `${FETCHED_REF}^{commit}`;
    return await this.ok("git rev-parse", ["rev-parse", "--verify", "--quiet", fetched]);
  }

  /** Why the remote has no `branch`: it is empty, `branch` is a tag there, or which it has. */
  private async noBranch(branch: string): Promise<string> {
    const listed = await this.run(["ls-remote", "--heads", "--tags", "origin"]);
    if (listed.code !== 0) return `no branch "${branch}" there`;
    const refs = listed.stdout.split("\n").map((line) => line.split("\t")[1]).filter((r) => r);
    if (!refs.length) return "the repository is empty: no branch yet";
    if (refs.includes(`refs/tags/${branch}`)) {
      return `"${branch}" is a tag there, not a branch: cm sync follows a branch`;
    }
    const heads = refs.filter((r) => r.startsWith("refs/heads/")).map((r) => r.slice(11));
    const some = heads.slice(0, 5).join(", ") || "none";
    return `no branch "${branch}" there; its branches: ${some}${heads.length > 5 ? ", ..." : ""}`;
  }

  /**
   * Fetches one commit by its id (shallow), for a checkout that lost it;
   * whether the object database holds it afterwards (false when the remote
   * no longer has it or cannot be reached).
   */
  async fetchCommit(commit: string): Promise<boolean> {
    if (await this.hasCommit(commit)) return true;
    await this.run(["fetch", "--quiet", "--no-tags", "--depth=1", "origin", commit]);
    return await this.hasCommit(commit);
  }

  /** The commit HEAD points at, or null before the first checkout. */
  async head(): Promise<string | null> {
    const r = await this.run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
    return r.code === 0 ? r.stdout.trim() : null;
  }

  /** Whether the object database holds `commit`. */
  async hasCommit(commit: string): Promise<boolean> {
    return (await this.run(["cat-file", "-e", `${commit}^{commit}`])).code === 0;
  }

  /** One-line subject of a commit. */
  async subject(commit: string): Promise<string> {
    const r = await this.run(["log", "-1", "--format=%s", commit]);
    return r.code === 0 ? r.stdout.trim() : "";
  }

  /**
   * A commit's committer time, ISO 8601 in UTC as every time in cm's JSON
   * (`2026-12-02T07:17:05.000Z`, whatever zone the committer was in), or
   * undefined when git cannot tell.
   */
  async commitTime(commit: string): Promise<string | undefined> {
    const r = await this.run(["log", "-1", "--format=%ct", commit]);
    const seconds = Number(r.stdout.trim());
    return r.code === 0 && r.stdout.trim() && Number.isFinite(seconds)
      ? new Date(seconds * 1000).toISOString()
      : undefined;
  }

  /**
   * Local edits in the work tree: `git status --porcelain` lines (untracked
   * and ignored files included), then the tracked files git status does not
   * compare, `ls-files -v` style: `S path` (skip-worktree, a sparse checkout)
   * and `h path` (assume-unchanged).
   */
  async localEdits(): Promise<string[]> {
    const r = await this.run([
      "status",
      "--porcelain",
      "--untracked-files=all",
      "--ignored=matching",
    ]);
    if (r.code !== 0) return [];
    return [...r.stdout.split("\n").filter((l) => l.trim()), ...await this.unwatched()];
  }

  /** Tracked files flagged so that git status never compares them (`git update-index`). */
  private async unwatched(): Promise<string[]> {
    const r = await this.run(["ls-files", "-v"]);
    if (r.code !== 0) return [];
    return r.stdout.split("\n").filter((l) => /^(S|[a-z]) /.test(l));
  }

  /**
   * Moves the work tree to `commit` exactly: forced checkout, untracked and
   * ignored files removed. Flags that keep git from comparing a file
   * (skip-worktree, assume-unchanged) would keep its local content: the index
   * holding them is rebuilt from the commit.
   */
  async checkout(commit: string): Promise<void> {
    if ((await this.unwatched()).length) this.exec.remove(`${this.dir}/.git/index`);
    await this.ok("git checkout", ["checkout", "--quiet", "--force", "--detach", commit]);
    await this.ok("git clean", ["clean", "-ffdxq"]);
  }

  /** Records `commit` under a ref so it is never garbage collected. */
  async mark(ref: string, commit: string): Promise<void> {
    await this.ok("git update-ref", ["update-ref", ref, commit]);
  }

  /** A separate work tree at `path` for `commit`, for validating without touching the live one. */
  async addWorktree(path: string, commit: string): Promise<void> {
    await this.removeWorktree(path);
    await this.ok("git worktree add", [
      "worktree",
      "add",
      "--quiet",
      "--force",
      "--detach",
      path,
      commit,
    ]);
  }

  /** Removes a work tree made by {@link addWorktree} (no error when it is gone). */
  async removeWorktree(path: string): Promise<void> {
    // Forced twice: a killed `git worktree add` leaves its work tree locked ("initializing"),
    // which one --force neither removes nor lets `worktree prune` or `worktree add` clear.
    if (this.exec.stat(path) || this.exec.stat(`${this.dir}/.git/worktrees`)) {
      await this.run(["worktree", "remove", "--force", "--force", path]);
    }
    // A leftover of a killed run that git no longer knows as a work tree.
    if (this.exec.stat(path)) await this.exec.run(["rm", "-rf", "--one-file-system", path]);
    await this.run(["worktree", "prune"]);
  }
}
