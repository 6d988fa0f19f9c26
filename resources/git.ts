/**
 * `git`: a working copy of a repository at a branch, tag or commit, via the
 * system `git` (argv only, `--` before operands).
 *
 * Behaviour, decided here:
 * - The change is the commit: `commit: <old> → <new>`, so a service can
 *   `reload_on: [git[/srv/app]]`. Planning asks the remote with
 *   `git ls-remote` (it only looks); a commit given by id needs no network.
 * - git runs as `owner` (through runuser, with the owner's HOME) so every
 *   file belongs to that user; a missing directory is created for it. The
 *   parent directory must exist.
 * - Branches are checked out as a local branch of that name, tags and
 *   commits detached.
 * - Local changes to tracked files are never discarded silently: they make
 *   the resource fail unless `force: true`. Untracked files (uploads, caches)
 *   are left alone.
 * - A directory that is not a working copy and not empty is in the way.
 * - Credentials: none of its own; git prompts are off, so a repository that
 *   needs a password fails instead of hanging.
 *
 * @module
 */
import type { GitSpec } from "./git_schema.ts";
export type { GitSpec };
import type { Executor, Probe, RunResult } from "../src/exec/executor.ts";
import { outputTail } from "./_output.ts";
import { kindName, message, parentOf } from "./file.ts";
import {
  applyEach,
  type Change,
  type KindRules,
  type Outcome,
  type ResourceKind,
  type SpecProblem,
} from "./resource.ts";

/** What `read` found for one working copy. */
export interface GitState {
  /** "missing", an empty directory, a working copy, or something else in the way. */
  found: "missing" | "empty" | "repo" | "in the way";
  /** The commit checked out, when a working copy. */
  head: string | null;
  /** The origin URL, when a working copy. */
  origin: string | null;
  /** `git status --porcelain` lines of changed tracked files. */
  localChanges: string[];
  /** The commit the spec resolves to now, or `null` when it could not be resolved. */
  want: string | null;
  /** Why something could not be read or resolved. */
  error?: string;
}

/** Network operations may take this long. */
const GIT_TIMEOUT_MS = 300_000;
/** git must never wait for a password or a host key answer. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: "0", GIT_SSH_COMMAND: "ssh -o BatchMode=yes" };

/** Rules beyond the schema: exactly one of branch, tag and commit. */
export function checkGit(spec: GitSpec): SpecProblem[] {
  const given = (["branch", "tag", "commit"] as const).filter((f) => spec[f] !== undefined);
  if (given.length === 1) return [];
  return [{
    field: given[1] ?? "branch",
    message: given.length
      ? `expected one of branch, tag, commit, got ${given.join(" and ")}`
      : "expected a branch, tag or commit to check out",
  }];
}

/** What to fetch and how to name it: the refspec and the ref to resolve afterwards. */
export function fetchPlan(spec: GitSpec): { refspecs: string[]; ref: string } {
  if (spec.branch !== undefined) {
    const ref = `refs/remotes/origin/${spec.branch}`;
    return { refspecs: [`+refs/heads/${spec.branch}:${ref}`], ref };
  }
  if (spec.tag !== undefined) {
    const ref = `refs/tags/${spec.tag}`;
    return { refspecs: [`+${ref}:${ref}`], ref };
  }
  return {
    refspecs: ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"],
    ref: spec.commit!,
  };
}

/** The commit `git ls-remote` output names for the spec's branch or tag (a tag peeled). */
export function remoteCommit(spec: GitSpec, lsRemote: string): string | null {
  const refs = new Map<string, string>();
  for (const line of lsRemote.trim().split("\n")) {
    const [commit, name] = line.split("\t");
    if (name) refs.set(name, commit);
  }
  const ref = spec.branch !== undefined ? `refs/heads/${spec.branch}` : `refs/tags/${spec.tag}`;
  return refs.get(`${ref}^{}`) ?? refs.get(ref) ?? null;
}

/** Runs git as the spec's owner in its working copy (or anywhere, for `-C`-less commands). */
class GitRunner {
  constructor(
    private probe: Probe,
    private spec: GitSpec,
    /** The owner's HOME, uid and primary gid. */
    readonly account: { home: string; uid: number; gid: number },
  ) {}

  static async for(spec: GitSpec, probe: Probe): Promise<GitRunner | { error: string }> {
    if (spec.owner === undefined || spec.owner === "root") {
      return new GitRunner(probe, spec, { home: "/root", uid: 0, gid: 0 });
    }
    const entry = await probe.run(["getent", "passwd", "--", spec.owner]);
    const [, , uid, gid, , home] = entry.stdout.trim().split(":");
    if (entry.code !== 0 || home === undefined) {
      return { error: `user "${spec.owner}" does not exist` };
    }
    return new GitRunner(probe, spec, { home, uid: Number(uid), gid: Number(gid) });
  }

  /** `git ARGS` as the owner; never throws. */
  run(args: string[], network = false): Promise<RunResult> {
    const as = this.spec.owner === undefined || this.spec.owner === "root"
      ? []
      : ["runuser", "-u", this.spec.owner, "--"];
    return this.probe.run([...as, "git", ...args], {
      env: { ...GIT_ENV, HOME: this.account.home },
      ...(network ? { timeoutMs: GIT_TIMEOUT_MS } : {}),
    });
  }

  /** `git -C PATH ARGS` as the owner: its stdout; throws with the command and its output when it fails. */
  async ok(what: string, args: string[], network = false): Promise<string> {
    const result = await this.run(["-C", this.spec.path, ...args], network);
    if (result.code !== 0) {
      throw new Error(`${what} exited ${result.code}: ${outputTail(result.stdout, result.stderr)}`);
    }
    return result.stdout;
  }
}

async function readOne(spec: GitSpec, probe: Probe): Promise<GitState> {
  const state: GitState = {
    found: "missing",
    head: null,
    origin: null,
    localChanges: [],
    want: spec.commit ?? null,
  };
  try {
    const git = await GitRunner.for(spec, probe);
    if ("error" in git) return { ...state, error: git.error };
    const info = probe.stat(spec.path);
    if (info && info.kind !== "directory") {
      return { ...state, found: "in the way", error: `a ${kindName(info.kind)} is in the way` };
    }
    if (info && probe.stat(`${spec.path}/.git`)) {
      state.found = "repo";
      state.head =
        (await git.run(["-C", spec.path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"]))
          .stdout.trim() || null;
      state.origin = (await git.run(["-C", spec.path, "config", "--get", "remote.origin.url"]))
        .stdout.trim() || null;
      state.localChanges =
        (await git.ok("git status", ["status", "--porcelain", "--untracked-files=no"]))
          .split("\n").filter(Boolean);
    } else if (info) {
      const empty = await probe.run(["find", spec.path, "-maxdepth", "0", "-empty"]);
      state.found = empty.stdout.trim() ? "empty" : "in the way";
      if (state.found === "in the way") {
        return {
          ...state,
          error: "a directory that is not a git working copy is in the way (not empty)",
        };
      }
    }
    if (state.want === null) {
      const refs = spec.branch !== undefined
        ? [`refs/heads/${spec.branch}`]
        : [`refs/tags/${spec.tag}`, `refs/tags/${spec.tag}^{}`];
      const listed = await git.run(["ls-remote", "--", spec.repo, ...refs], true);
      if (listed.code !== 0) {
        return {
          ...state,
          error: `git ls-remote exited ${listed.code}: ${outputTail(listed.stdout, listed.stderr)}`,
        };
      }
      state.want = remoteCommit(spec, listed.stdout);
      if (state.want === null) {
        const what = spec.branch !== undefined ? `branch "${spec.branch}"` : `tag "${spec.tag}"`;
        return { ...state, error: `${what} not found in "${spec.repo}"` };
      }
    }
    return state;
  } catch (error) {
    return { ...state, error: message(error) };
  }
}

function diffOne(spec: GitSpec, current: GitState): Change[] {
  if (current.error) {
    return [{
      field: "commit",
      before: current.head,
      after: current.want,
      note: current.error,
      blocked: true,
    }];
  }
  const changes: Change[] = [];
  if (current.found === "repo" && current.origin !== spec.repo) {
    changes.push({ field: "origin", before: current.origin, after: spec.repo });
  }
  if (current.head !== current.want) {
    changes.push({ field: "commit", before: current.head, after: current.want });
  }
  if (current.localChanges.length) {
    const files = current.localChanges.map((l) => l.slice(3)).join(", ");
    changes.push({
      field: "local_changes",
      before: current.localChanges.length,
      after: 0,
      ...(spec.force ? { note: `force: local changes are discarded: ${files}` } : {
        note: `local changes to ${files}: commit them upstream, or set force: true to discard them`,
        blocked: true,
      }),
    });
  }
  return changes;
}

async function applyOne(spec: GitSpec, changes: Change[], exec: Executor): Promise<Outcome> {
  const git = await GitRunner.for(spec, exec);
  if ("error" in git) return { ok: false, error: git.error };
  const info = exec.stat(spec.path);
  if (info && info.kind !== "directory") {
    return { ok: false, error: `"${spec.path}" is a ${kindName(info.kind)}, not a directory` };
  }
  if (!info) {
    const parent = parentOf(spec.path);
    if (exec.stat(parent)?.kind !== "directory") {
      return {
        ok: false,
        error:
          `parent directory "${parent}" does not exist: declare it under configure.directories`,
      };
    }
    exec.mkdir(spec.path, { mode: 0o755, uid: git.account.uid, gid: git.account.gid });
  }
  const fresh = !exec.stat(`${spec.path}/.git`);
  if (fresh) {
    const cloned = await git.run(
      ["clone", "--quiet", "--no-checkout", "--", spec.repo, spec.path],
      true,
    );
    if (cloned.code !== 0) {
      return {
        ok: false,
        error: `git clone exited ${cloned.code}: ${outputTail(cloned.stdout, cloned.stderr)}`,
      };
    }
  } else if (changes.some((c) => c.field === "origin")) {
    await git.ok("git remote set-url", ["remote", "set-url", "--", "origin", spec.repo]);
  }
  // A fresh clone has no checkout yet: everything looks deleted, which is no local change.
  const local = fresh
    ? ""
    : await git.ok("git status", ["status", "--porcelain", "--untracked-files=no"]);
  if (local && !spec.force) {
    return {
      ok: false,
      error:
        `local changes in "${spec.path}": commit them upstream, or set force: true to discard them`,
    };
  }
  const { refspecs, ref } = fetchPlan(spec);
  const have = async () =>
    (await git.run(["-C", spec.path, "cat-file", "-e", `${ref}^{commit}`])).code === 0;
  if (spec.commit === undefined || !await have()) {
    await git.ok("git fetch", ["fetch", "--quiet", "--no-tags", "--", "origin", ...refspecs], true);
  }
  const commit = (await git.ok("git rev-parse", [
    "rev-parse",
    "--verify",
    "--quiet",
    `${ref}^{commit}`,
  ])).trim();
  const force = spec.force || fresh ? ["--force"] : [];
  const how = spec.branch !== undefined ? ["-B", spec.branch] : ["--detach"];
  await git.ok("git checkout", ["checkout", "--quiet", ...force, ...how, commit]);
  return { ok: true };
}

/** The `git` resource kind. */
export const git: ResourceKind<GitSpec, GitState> & KindRules<GitSpec> = {
  kind: "git",
  id: (spec) => `git[${spec.path}]`,
  check: checkGit,
  claims: (spec) => [`path:${spec.path}`],
  read: (specs, probe) => Promise.all(specs.map((spec) => readOne(spec, probe))),
  diff: diffOne,
  apply: (items, exec) => applyEach(items, (spec, changes) => applyOne(spec, changes, exec)),
};
