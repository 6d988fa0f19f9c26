/**
 * `git`: a working copy of a repository at a branch, tag or commit, via the
 * system `git` (argv only, `--` before operands).
 *
 * Behaviour, decided here:
 * - The change is the commit: `commit: <old> → <new>`, so a service can
 *   `reload_on: [git[/srv/app]]`. The commit is also the fingerprint the
 *   state records: a branch that moved upstream is no drift, a checkout
 *   changed by hand is. Planning asks the remote with
 *   `git ls-remote` (it only looks); a commit given by id needs no network.
 * - git runs as `owner` (through runuser, with the owner's HOME) so every
 *   file belongs to that user; a missing directory is created for it. The
 *   parent directory must exist; it is resolved and checked by the
 *   unsafe-path-transition rule (./_path_safety.ts), like a file's.
 * - cm never runs git as root inside a working copy another user owns (its
 *   config could make git run commands): `read` takes HEAD and the origin URL
 *   from the files under .git, without git.
 * - Branches are checked out as a local branch of that name, tags and
 *   commits detached; a copy left detached or on another branch is a
 *   `branch` change, put back on the spec's branch.
 * - Local changes to tracked files are never discarded silently: apply
 *   checks first and fails unless `force: true` (a plan cannot see them, as
 *   it runs no git in the working copy). Untracked files (uploads, caches)
 *   are left alone.
 * - A directory that is not a working copy is cloned into only when empty
 *   (git refuses otherwise: the plan already fails it).
 * - Rollback checks the old commit out again (on its old branch, with the
 *   old origin), as the owner and without `--force`: git refuses to overwrite
 *   local changes. A working copy the run cloned is left in place (the
 *   restore fails saying so): cm does not delete a tree of files.
 * - Credentials: none of its own; git prompts are off, so a repository that
 *   needs a password fails instead of hanging.
 *
 * @module
 */
import type { GitSpec } from "./git_schema.ts";
export type { GitSpec };
import type { Executor, Probe, RunResult } from "../src/exec/executor.ts";
import { exitedWith } from "../src/exec/output.ts";
import { dirname } from "../src/posix_path.ts";
import { kindName } from "./_ownership.ts";
import { type Chased, chaser, resolveManaged } from "./_path_safety.ts";
import { noSuchAccount } from "./_accounts.ts";
import { readPasswd } from "../src/facts/passwd.ts";
import {
  applyEach,
  type Change,
  errorMessage,
  type Outcome,
  type ResourceKind,
  type SpecProblem,
} from "./resource.ts";
import type { GitBefore } from "./snapshot.ts";

/** What `read` found for one working copy. */
export interface GitState {
  /** Nothing at the path, a directory that is not a working copy, or a working copy. */
  found: "missing" | "directory" | "repo";
  /** The commit checked out, when a working copy. */
  head: string | null;
  /** The local branch checked out, when a working copy is on one. */
  branch?: string;
  /** The origin URL, when a working copy. */
  origin: string | null;
  /** The commit the spec resolves to now, or `null` when it could not be resolved. */
  want: string | null;
  /** A directory that is not a working copy holds something: git will not clone into it. */
  full?: boolean;
  /** The owner does not exist yet (a user resource of the run may create it). */
  ownerMissing?: boolean;
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
    private spec: Pick<GitSpec, "path" | "owner">,
    /** The owner's HOME, uid and primary gid. */
    readonly account: { home: string; uid: number; gid: number },
  ) {}

  static for(spec: Pick<GitSpec, "path" | "owner">, probe: Probe): GitRunner | { error: string } {
    if (spec.owner === undefined || spec.owner === "root") return GitRunner.asRoot(spec, probe);
    const entry = readPasswd(probe).find((u) => u.name === spec.owner);
    if (!entry) return { error: noSuchAccount("user", spec.owner, probe) };
    return new GitRunner(probe, spec, entry);
  }

  /** A runner that runs git as root, whoever the owner is. */
  static asRoot(spec: Pick<GitSpec, "path" | "owner">, probe: Probe): GitRunner {
    return new GitRunner(probe, { ...spec, owner: undefined }, { home: "/root", uid: 0, gid: 0 });
  }

  /** `git ARGS` as the owner; never throws. */
  run(args: string[], network = false): Promise<RunResult> {
    const as = this.spec.owner === undefined || this.spec.owner === "root"
      ? []
      : ["runuser", "-u", this.spec.owner, "--"];
    // From "/": the owner may not be allowed into cm's working directory, which git stats first.
    return this.probe.run([...as, "git", ...args], {
      cwd: "/",
      env: { ...GIT_ENV, HOME: this.account.home },
      ...(network ? { timeoutMs: GIT_TIMEOUT_MS } : {}),
    });
  }

  /** `git -C PATH ARGS` as the owner: its stdout; throws with the command and its output when it fails. */
  async ok(what: string, args: string[], network = false): Promise<string> {
    const result = await this.run(["-C", this.spec.path, ...args], network);
    if (result.code !== 0) {
      throw new Error(exitedWith(what, result));
    }
    return result.stdout;
  }
}

const decoder = new TextDecoder();

/** A file's trimmed text, or `null`. */
function textOf(probe: Probe, path: string): string | null {
  const data = probe.readFile(path);
  return data && decoder.decode(data).trim();
}

/**
 * The commit HEAD names, read from the files under `gitDir` without running
 * git: a detached id, or a branch ref (loose or packed). Anything odd is `null`.
 */
export function readHead(probe: Probe, gitDir: string): string | null {
  const commit = (text: string | null | undefined) =>
    text && /^[0-9a-f]{40}$/.test(text) ? text : null;
  const head = textOf(probe, `${gitDir}/HEAD`);
  if (!head?.startsWith("ref: ")) return commit(head);
  const ref = head.slice(5);
  // HEAD is the owner's to write: never follow it outside refs/.
  if (!/^refs\/[A-Za-z0-9._\/+@-]+$/.test(ref) || ref.includes("..")) return null;
  const loose = textOf(probe, `${gitDir}/${ref}`);
  if (loose !== null) return commit(loose);
  const packed = (textOf(probe, `${gitDir}/packed-refs`) ?? "").split("\n");
  return commit(packed.find((line) => line.endsWith(` ${ref}`))?.split(" ")[0]);
}

/** The local branch HEAD is on (from `gitDir`/HEAD, without git), or `null`: detached or odd. */
export function headBranch(probe: Probe, gitDir: string): string | null {
  const name = textOf(probe, `${gitDir}/HEAD`)?.match(/^ref: refs\/heads\/([A-Za-z0-9._\/+@-]+)$/)
    ?.[1];
  return name && !name.includes("..") ? name : null;
}

/** The URL of remote "origin" in a git config file's text, or `null`. */
export function originUrl(config: string): string | null {
  let inOrigin = false;
  for (const line of config.split("\n").map((l) => l.trim())) {
    if (line.startsWith("[")) inOrigin = /^\[remote\s+"origin"\]$/.test(line);
    const url = /^url\s*=\s*(.*)$/.exec(line);
    if (inOrigin && url) return url[1];
  }
  return null;
}

/** The commit the spec's branch or tag names on the remote now (`git ls-remote`, as the owner). */
async function wantedCommit(spec: GitSpec, git: GitRunner): Promise<string | { error: string }> {
  if (spec.commit !== undefined) return spec.commit;
  const refs = spec.branch !== undefined
    ? [`refs/heads/${spec.branch}`]
    : [`refs/tags/${spec.tag}`, `refs/tags/${spec.tag}^{}`];
  const listed = await git.run(["ls-remote", "--", spec.repo, ...refs], true);
  if (listed.code !== 0) {
    return {
      error: exitedWith("git ls-remote", listed),
    };
  }
  const found = remoteCommit(spec, listed.stdout);
  if (found) return found;
  const what = spec.branch !== undefined ? `branch "${spec.branch}"` : `tag "${spec.tag}"`;
  return { error: `${what} not found in "${spec.repo}"` };
}

async function readOne(
  spec: GitSpec,
  probe: Probe,
  chase: (dir: string) => Chased,
): Promise<GitState> {
  const state: GitState = { found: "missing", head: null, origin: null, want: null };
  try {
    const resolved = resolveManaged(spec.path, chase);
    if ("error" in resolved) return { ...state, error: resolved.error };
    const gitDir = `${resolved.path}/.git`;
    const info = probe.stat(resolved.path);
    if (info && info.kind !== "directory") {
      return { ...state, error: `a ${kindName(info.kind)} is in the way` };
    }
    if (info && probe.stat(gitDir)?.kind === "directory") {
      state.found = "repo";
      state.head = readHead(probe, gitDir);
      const branch = headBranch(probe, gitDir);
      if (branch) state.branch = branch;
      state.origin = originUrl(textOf(probe, `${gitDir}/config`) ?? "");
    } else if (info) {
      state.found = "directory";
      if (probe.listDir(resolved.path)?.length) state.full = true;
    }
    // An owner still to be created by this run: root asks the remote instead.
    const owned = GitRunner.for(spec, probe);
    state.ownerMissing = "error" in owned;
    const git = "error" in owned ? GitRunner.asRoot(spec, probe) : owned;
    const want = await wantedCommit(spec, git);
    return typeof want === "string" ? { ...state, want } : { ...state, ...want };
  } catch (error) {
    return { ...state, error: errorMessage(error) };
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
  // Detached or on another branch at the wanted commit: the tree is right, the branch is not.
  if (current.found === "repo" && spec.branch !== undefined && current.branch !== spec.branch) {
    changes.push({ field: "branch", before: current.branch ?? null, after: spec.branch });
  }
  const notes = [
    ...(current.found === "directory" && !current.full
      ? ["not a working copy yet: cloned into the empty directory"]
      : []),
    ...(current.ownerMissing ? [`user "${spec.owner}" does not exist yet`] : []),
  ];
  if (changes.length && notes.length) changes.at(-1)!.note = notes.join("; ");
  if (current.found === "directory" && current.full && changes.length) {
    changes.at(-1)!.note =
      `"${spec.path}" is a directory that is not empty and not a working copy: git clones only into an empty one (empty it or change the path)`;
    changes.at(-1)!.blocked = true;
  }
  return changes;
}

async function applyOne(spec: GitSpec, changes: Change[], exec: Executor): Promise<Outcome> {
  // The remote could not be asked (or lacks the ref): nothing to move to.
  const blocked = changes.find((c) => c.blocked);
  if (blocked) return { ok: false, error: blocked.note! };
  // Resolved again, now: git and mkdir work under what is checked.
  const resolved = resolveManaged(spec.path, chaser(exec));
  if ("error" in resolved) return { ok: false, error: resolved.error };
  const path = resolved.path;
  const git = GitRunner.for({ ...spec, path }, exec);
  if ("error" in git) return { ok: false, error: git.error };
  const info = exec.stat(path);
  if (info && info.kind !== "directory") {
    return { ok: false, error: `"${spec.path}" is a ${kindName(info.kind)}, not a directory` };
  }
  if (!info) {
    if (exec.stat(dirname(path))?.kind !== "directory") {
      return {
        ok: false,
        error: `parent directory "${
          dirname(spec.path)
        }" does not exist: declare it under configure.directories`,
      };
    }
    exec.mkdir(path, { mode: 0o755, uid: git.account.uid, gid: git.account.gid });
  }
  const fresh = !exec.stat(`${path}/.git`);
  if (fresh) {
    const cloned = await git.run(
      ["clone", "--quiet", "--no-checkout", "--", spec.repo, path],
      true,
    );
    if (cloned.code !== 0) {
      return {
        ok: false,
        error: exitedWith("git clone", cloned),
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
    const files = local.split("\n").filter(Boolean).map((line) => line.slice(3)).join(", ");
    return {
      ok: false,
      error: `local changes to ${files} in "${spec.path}": commit them upstream, ` +
        "or set force: true to discard them",
    };
  }
  const { refspecs, ref } = fetchPlan(spec);
  const have = async () =>
    (await git.run(["-C", path, "cat-file", "-e", `${ref}^{commit}`])).code === 0;
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

function snapshotOne(spec: GitSpec, current: GitState): GitBefore {
  return {
    type: "git",
    path: spec.path,
    owner: spec.owner ?? null,
    head: current.found === "repo" ? current.head : null,
    branch: current.branch ?? null,
    origin: current.origin,
  };
}

/** Checks `before.head` out again as the owner, on its branch and with its origin. */
async function restoreOne(before: GitBefore, exec: Executor): Promise<Outcome> {
  const { path } = before;
  if (before.head === null) {
    return {
      ok: false,
      error: `"${path}" was cloned by the run: cm leaves the working copy, remove it by hand`,
    };
  }
  const git = GitRunner.for({ path, owner: before.owner ?? undefined }, exec);
  if ("error" in git) return { ok: false, error: git.error };
  try {
    const origin = originUrl(textOf(exec, `${path}/.git/config`) ?? "");
    if (before.origin !== null && origin !== before.origin) {
      await git.ok("git remote set-url", ["remote", "set-url", "--", "origin", before.origin]);
    }
    const how = before.branch !== null ? ["-B", before.branch] : ["--detach"];
    await git.ok("git checkout", ["checkout", "--quiet", ...how, before.head]);
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
  return { ok: true };
}

/** The `git` resource kind. */
export const git: ResourceKind<GitSpec, GitState> = {
  name: "git",
  id: (spec) => `git[${spec.path}]`,
  check: checkGit,
  claims: (spec) => [`path:${spec.path}`],
  read(specs, probe) {
    const chase = chaser(probe);
    return Promise.all(specs.map((spec) => readOne(spec, probe, chase)));
  },
  diff: diffOne,
  // The commit checked out: a branch or tag that moved upstream changes it, so it is no drift.
  fingerprint: (_spec, current, applied) => (applied ? current.want : current.head) ?? undefined,
  apply: (items, exec) => applyEach(items, (spec, changes) => applyOne(spec, changes, exec)),
  snapshot: (spec, current) => Promise.resolve(snapshotOne(spec, current)),
  restore: (before, exec) =>
    before.type === "git"
      ? restoreOne(before, exec)
      : Promise.resolve({ ok: false, error: `a ${before.type} record is not a working copy` }),
};
