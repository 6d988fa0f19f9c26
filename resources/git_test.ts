import assert from "node:assert/strict";
import { RealExecutor } from "../src/exec/real.ts";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { tempDir } from "../src/_testing.ts";
import {
  checkGit,
  fetchPlan,
  git,
  type GitSpec,
  headBranch,
  originUrl,
  readHead,
  remoteCommit,
} from "./git.ts";
import { schema as gitSchema } from "./git_schema.ts";
import { convergeOne, planOne, testContext } from "./_testing.ts";
import type { GitBefore } from "./snapshot.ts";
import { markDrift } from "../src/state/drift.ts";
import type { RunReport } from "../src/engine/report.ts";

function spec(fields: Record<string, unknown>): GitSpec {
  return gitSchema.parse(fields);
}

const A = "a".repeat(40);
const B = "b".repeat(40);
const APP = { path: "/srv/app", repo: "https://git.example.org/app.git", tag: "v1.2.0" };

Deno.test("git id, claims and check: exactly one of branch, tag, commit", () => {
  assert.equal(git.id(spec(APP)), "git[/srv/app]");
  assert.deepEqual(git.claims!(spec(APP)), ["path:/srv/app"]);
  assert.deepEqual(checkGit(spec(APP)), []);
  assert.deepEqual(checkGit(spec({ ...APP, branch: "main" })), [
    { field: "tag", message: "expected one of branch, tag, commit, got branch and tag" },
  ]);
  assert.deepEqual(checkGit(spec({ path: "/a", repo: "/r" })), [
    { field: "branch", message: "expected a branch, tag or commit to check out" },
  ]);
});

Deno.test("git schema refuses names that would be options", () => {
  for (
    const bad of [{ repo: "--upload-pack=x" }, { tag: "-v1" }, { branch: "a..b" }, {
      commit: "abc",
    }]
  ) {
    assert.equal(gitSchema.safeParse({ ...APP, ...bad }).success, false, JSON.stringify(bad));
  }
});

Deno.test("git resolves tags peeled and branches from ls-remote output", () => {
  const listed = `${A}\trefs/tags/v1.2.0\n${B}\trefs/tags/v1.2.0^{}\n`;
  assert.equal(remoteCommit(spec(APP), listed), B);
  assert.equal(
    remoteCommit(spec({ ...APP, tag: undefined, branch: "main" }), `${A}\trefs/heads/main\n`),
    A,
  );
  assert.equal(remoteCommit(spec(APP), ""), null);
  assert.deepEqual(fetchPlan(spec(APP)), {
    refspecs: ["+refs/tags/v1.2.0:refs/tags/v1.2.0"],
    ref: "refs/tags/v1.2.0",
  });
});

Deno.test("git plans a clone of a missing working copy, asking the remote only with ls-remote", async () => {
  const exec = new RecordingExecutor().put("/srv", undefined)
    .on(["git", "ls-remote"], { stdout: `${A}\trefs/tags/v1.2.0\n` });
  assert.deepEqual(await planOne(git, spec(APP), exec), [{
    field: "commit",
    before: null,
    after: A,
  }]);
  assert.deepEqual(exec.calls, [
    ["git", "ls-remote", "--", APP.repo, "refs/tags/v1.2.0", "refs/tags/v1.2.0^{}"],
  ]);
  assert.deepEqual(exec.writes, []);
});

Deno.test("git clones as the owner with exact argv", async () => {
  const envs: Record<string, string>[] = [];
  const exec = new RecordingExecutor().put("/srv", undefined)
    .put("/etc/passwd", "app:x:1001:1001::/home/app:/bin/sh\n")
    .on(["runuser"], (_argv, options) => {
      envs.push(options.env ?? {});
      return {};
    })
    .on(["runuser", "-u", "app", "--", "git", "ls-remote"], { stdout: `${A}\trefs/tags/v1.2.0\n` })
    .on(["runuser", "-u", "app", "--", "git", "-C", "/srv/app", "rev-parse"], { stdout: `${A}\n` });
  const { outcome } = await convergeOne(git, spec({ ...APP, owner: "app" }), exec);
  assert.deepEqual(outcome, { ok: true });
  const as = ["runuser", "-u", "app", "--", "git"];
  assert.deepEqual(exec.calls, [
    [...as, "ls-remote", "--", APP.repo, "refs/tags/v1.2.0", "refs/tags/v1.2.0^{}"],
    [...as, "clone", "--quiet", "--no-checkout", "--", APP.repo, "/srv/app"],
    [
      ...as,
      "-C",
      "/srv/app",
      "fetch",
      "--quiet",
      "--no-tags",
      "--",
      "origin",
      "+refs/tags/v1.2.0:refs/tags/v1.2.0",
    ],
    [...as, "-C", "/srv/app", "rev-parse", "--verify", "--quiet", "refs/tags/v1.2.0^{commit}"],
    [...as, "-C", "/srv/app", "checkout", "--quiet", "--force", "--detach", A],
  ]);
  assert.equal(envs[0].HOME, "/home/app");
  assert.equal(envs[0].GIT_TERMINAL_PROMPT, "0");
  assert.deepEqual(exec.writes, ["mkdir /srv/app"]);
  assert.deepEqual([exec.stat("/srv/app")?.uid, exec.stat("/srv/app")?.gid], [1001, 1001]);
});

/** A machine with a working copy of APP at `head` (detached), whose remote tag points at `remote`. */
function workingCopy(head: string, remote: string, status = ""): RecordingExecutor {
  return new RecordingExecutor().put("/srv", undefined).put("/srv/app", undefined)
    .put("/srv/app/.git", undefined)
    .put("/srv/app/.git/HEAD", `${head}\n`)
    .put("/srv/app/.git/config", `[core]\n\tbare = false\n[remote "origin"]\n\turl = ${APP.repo}\n`)
    .on(["git", "ls-remote"], { stdout: `${remote}\trefs/tags/v1.2.0\n` })
    .on(["git", "-C", "/srv/app", "status"], { stdout: status })
    .on(["git", "-C", "/srv/app", "rev-parse"], { stdout: `${remote}\n` });
}

Deno.test("git reads HEAD and origin from the files, never following HEAD out of refs/", () => {
  const exec = new RecordingExecutor()
    .put("/r/.git/HEAD", "ref: refs/heads/main\n")
    .put(
      "/r/.git/packed-refs",
      `# pack-refs with: peeled\n${A} refs/heads/main\n${B} refs/tags/v1\n`,
    );
  assert.equal(readHead(exec, "/r/.git"), A);
  exec.put("/r/.git/refs/heads/main", `${B}\n`);
  assert.equal(readHead(exec, "/r/.git"), B);
  exec.put("/r/.git/HEAD", "ref: ../../etc/shadow\n").put("/etc/shadow", "secret");
  assert.equal(readHead(exec, "/r/.git"), null);
  assert.equal(readHead(exec, "/missing/.git"), null);
  assert.equal(originUrl('[remote "upstream"]\n\turl = /u\n[remote "origin"]\n\turl = /o\n'), "/o");
  assert.equal(originUrl("[core]\n"), null);
});

Deno.test("git reports the commit change and checks the new tag out; nothing when it is there", async () => {
  const exec = workingCopy(A, B);
  const { changes, outcome } = await convergeOne(git, spec(APP), exec);
  assert.deepEqual(changes, [{ field: "commit", before: A, after: B }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls.slice(1), [
    ["git", "-C", "/srv/app", "status", "--porcelain", "--untracked-files=no"],
    [
      "git",
      "-C",
      "/srv/app",
      "fetch",
      "--quiet",
      "--no-tags",
      "--",
      "origin",
      "+refs/tags/v1.2.0:refs/tags/v1.2.0",
    ],
    ["git", "-C", "/srv/app", "rev-parse", "--verify", "--quiet", "refs/tags/v1.2.0^{commit}"],
    ["git", "-C", "/srv/app", "checkout", "--quiet", "--detach", B],
  ]);
  assert.deepEqual(await planOne(git, spec(APP), workingCopy(B, B)), []);
});

Deno.test("git fingerprints the commit: a branch or tag that moved upstream is not drift, a local checkout is", async () => {
  const moved = markDrift(
    runOf("git[/srv/app]", git.fingerprint!(spec(APP), await stateOf(workingCopy(A, B)), true)),
    { "git[/srv/app]": { status: "unchanged", desired: "d", sha256: A } },
    { "git[/srv/app]": "d" },
  );
  assert.deepEqual(moved, []);
  // Someone checked out another commit by hand: the wanted one is what the last run left.
  const local = markDrift(
    runOf("git[/srv/app]", git.fingerprint!(spec(APP), await stateOf(workingCopy(A, B)), true)),
    { "git[/srv/app]": { status: "unchanged", desired: "d", sha256: B } },
    { "git[/srv/app]": "d" },
  );
  assert.deepEqual(local, ["git[/srv/app]"]);
  assert.equal(git.fingerprint!(spec(APP), await stateOf(workingCopy(B, B))), B);
});

async function stateOf(exec: RecordingExecutor) {
  return (await git.read([spec(APP)], exec, testContext("plan")))[0];
}

/** A run report in which `id` changed, with the fingerprint `sha256`. */
function runOf(id: string, sha256: string | undefined): RunReport {
  return {
    id: "20261201T000000Z-1",
    mode: "apply",
    startedAt: "2026-12-01T00:00:00.000Z",
    durationMs: 1,
    cookbooks: ["/c.yaml"],
    resources: [{
      id,
      kind: "git",
      status: "changed",
      changes: [{ field: "commit", before: A, after: B }],
      durationMs: 1,
      at: "/c.yaml:1:1",
      ...(sha256 ? { sha256 } : {}),
    }],
    handlers: [],
    totals: { changed: 1, unchanged: 0, failed: 0, skipped: 0 },
    result: "ok",
  };
}

Deno.test("git apply fails on local changes unless forced, and names the files", async () => {
  const exec = workingCopy(A, B, " M config.php\n");
  const { outcome } = await convergeOne(git, spec(APP), exec);
  assert.deepEqual(outcome, {
    ok: false,
    error: 'local changes to config.php in "/srv/app": commit them upstream, ' +
      "or set force: true to discard them",
  });
  assert.equal(exec.calls.some((c) => c.includes("checkout")), false);
  const forced = workingCopy(A, B, " M config.php\n");
  const { outcome: ok } = await convergeOne(git, spec({ ...APP, force: true }), forced);
  assert.deepEqual(ok, { ok: true });
  assert.deepEqual(forced.calls.at(-1), [
    "git",
    "-C",
    "/srv/app",
    "checkout",
    "--quiet",
    "--force",
    "--detach",
    B,
  ]);
});

Deno.test("git plan fails clearly when the tag does not exist upstream; a missing owner is a note until apply", async () => {
  const changes = await planOne(
    git,
    spec(APP),
    workingCopy(A, B).on(["git", "ls-remote"], { stdout: "" }),
  );
  assert.deepEqual(changes, [{
    field: "commit",
    before: A,
    after: null,
    note: `tag "v1.2.0" not found in "${APP.repo}"`,
    blocked: true,
  }]);
  const later = await planOne(git, spec({ ...APP, owner: "ghost" }), workingCopy(A, B));
  assert.deepEqual(later, [
    { field: "commit", before: A, after: B, note: 'user "ghost" does not exist yet' },
  ]);
  const { outcome } = await convergeOne(git, spec({ ...APP, owner: "ghost" }), workingCopy(A, B));
  assert.deepEqual(outcome, { ok: false, error: 'user "ghost" does not exist' });
});

Deno.test("git apply fails, fetching nothing, when the remote cannot be asked", async () => {
  const down = { code: 128, stderr: "fatal: unable to connect to 127.0.0.1:\n" };
  const exec = workingCopy(A, B).on(["git", "ls-remote"], down);
  const { changes, outcome } = await convergeOne(git, spec(APP), exec);
  const error = "git ls-remote exited 128: fatal: unable to connect to 127.0.0.1:";
  assert.deepEqual(changes, [{
    field: "commit",
    before: A,
    after: null,
    note: error,
    blocked: true,
  }]);
  assert.deepEqual(outcome, { ok: false, error });
  assert.deepEqual(exec.calls.map((argv) => argv.slice(0, 4)), [[
    "git",
    "ls-remote",
    "--",
    APP.repo,
  ]]);
});

Deno.test("git clones into an empty plain directory, and the plan fails one that holds files", async () => {
  const exec = new RecordingExecutor().put("/srv/app", undefined)
    .on(["git", "ls-remote"], { stdout: `${A}\trefs/tags/v1.2.0\n` });
  const clone = { field: "commit", before: null, after: A };
  assert.deepEqual(await planOne(git, spec(APP), exec), [{
    ...clone,
    note: "not a working copy yet: cloned into the empty directory",
  }]);
  // git clone refuses a directory that is not empty: the plan says so instead of "would".
  const { changes, outcome } = await convergeOne(git, spec(APP), exec.put("/srv/app/junk", "x"));
  const note =
    '"/srv/app" is a directory that is not empty and not a working copy: git clones only into an empty one (empty it or change the path)';
  assert.deepEqual(changes, [{ ...clone, note, blocked: true }]);
  assert.deepEqual(outcome, { ok: false, error: note });
  assert.equal(exec.calls.some((argv) => argv[1] === "clone"), false);
});

/** Runs git in `dir` and returns its trimmed stdout. */
function gitIn(dir: string, ...args: string[]): string {
  const out = new Deno.Command("git", {
    args: ["-C", dir, ...args],
    env: {
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@x",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@x",
    },
  }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

/** Commits `text` as app.txt and tags it. */
function release(repo: string, text: string, tag: string): string {
  Deno.writeTextFileSync(`${repo}/app.txt`, text);
  gitIn(repo, "add", "app.txt");
  gitIn(repo, "commit", "-q", "-m", tag);
  gitIn(repo, "tag", "-a", tag, "-m", tag);
  return gitIn(repo, "rev-parse", "HEAD");
}

/** A repository at `dir`/upstream on branch main with release v1 tagged, and v1's commit. */
function upstreamRepo(dir: string): { upstream: string; v1: string } {
  const upstream = `${dir}/upstream`;
  Deno.mkdirSync(upstream);
  gitIn(upstream, "init", "-q", "-b", "main");
  return { upstream, v1: release(upstream, "one\n", "v1") };
}

Deno.test("git on real repositories: clone as nobody at a tag, move to the next tag, refuse then force local edits", async () => {
  await using dir = await tempDir("cm-git-test-");
  Deno.chmodSync(dir.path, 0o755);
  const { upstream, v1 } = upstreamRepo(dir.path);
  const v2 = release(upstream, "two\n", "v2");
  // Like a repository on a git server: owned by someone, readable by the owner of the copy.
  new Deno.Command("chown", { args: ["-R", "nobody", "--", upstream] }).outputSync();
  Deno.mkdirSync(`${dir.path}/srv`);
  const exec = new RealExecutor();
  const at = (tag: string, force = false) =>
    spec({ path: `${dir.path}/srv/app`, repo: upstream, tag, owner: "nobody", force });
  const path = `${dir.path}/srv/app`;
  // cm started in a directory inside one the owner may not enter (/root/site: /root is 0700).
  Deno.mkdirSync(`${dir.path}/private/site`, { recursive: true });
  Deno.chmodSync(`${dir.path}/private`, 0o700);
  const cwd = Deno.cwd();
  Deno.chdir(`${dir.path}/private/site`);
  using _back = { [Symbol.dispose]: () => Deno.chdir(cwd) };

  const first = await convergeOne(git, at("v1"), exec);
  assert.deepEqual(first, {
    changes: [{ field: "commit", before: null, after: v1 }],
    outcome: { ok: true },
  });
  assert.equal(Deno.readTextFileSync(`${path}/app.txt`), "one\n");
  assert.equal(Deno.statSync(`${path}/app.txt`).uid, 65534);
  assert.deepEqual(await planOne(git, at("v1"), exec), []);

  const second = await convergeOne(git, at("v2"), exec);
  assert.deepEqual(second, {
    changes: [{ field: "commit", before: v1, after: v2 }],
    outcome: { ok: true },
  });
  assert.equal(Deno.readTextFileSync(`${path}/app.txt`), "two\n");

  Deno.writeTextFileSync(`${path}/app.txt`, "edited\n");
  Deno.writeTextFileSync(`${path}/upload.jpg`, "untracked");
  const refused = await convergeOne(git, at("v1"), exec);
  assert.equal(refused.outcome.ok, false);
  assert.equal(Deno.readTextFileSync(`${path}/app.txt`), "edited\n");
  const forced = await convergeOne(git, at("v1", true), exec);
  assert.deepEqual(forced.outcome, { ok: true });
  assert.equal(Deno.readTextFileSync(`${path}/app.txt`), "one\n");
  assert.equal(Deno.readTextFileSync(`${path}/upload.jpg`), "untracked");
  assert.deepEqual(await planOne(git, at("v1"), exec), []);
});

Deno.test("git on real repositories follows a branch and pins a commit without asking the remote", async () => {
  await using dir = await tempDir("cm-git-test-");
  const { upstream, v1 } = upstreamRepo(dir.path);
  const exec = new RealExecutor();
  const path = `${dir.path}/app`;
  const branch = spec({ path, repo: upstream, branch: "main" });
  assert.deepEqual((await convergeOne(git, branch, exec)).outcome, { ok: true });
  assert.equal(gitIn(path, "rev-parse", "--abbrev-ref", "HEAD"), "main");
  const v2 = release(upstream, "two\n", "v2");
  assert.deepEqual(await planOne(git, branch, exec), [{ field: "commit", before: v1, after: v2 }]);
  assert.deepEqual((await convergeOne(git, branch, exec)).outcome, { ok: true });

  const pinned = spec({ path, repo: `${dir.path}/moved`, commit: v1 });
  const changes = await planOne(git, pinned, exec);
  assert.deepEqual(changes, [
    { field: "origin", before: upstream, after: `${dir.path}/moved` },
    { field: "commit", before: v2, after: v1 },
  ]);
  // The commit is already there: no fetch from the (missing) new origin is needed.
  assert.deepEqual((await convergeOne(git, pinned, exec)).outcome, { ok: true });
  assert.equal(Deno.readTextFileSync(`${path}/app.txt`), "one\n");
});

Deno.test("git puts a working copy left detached or on another branch back on the spec's branch", async () => {
  await using dir = await tempDir("cm-git-test-");
  const { upstream } = upstreamRepo(dir.path);
  const exec = new RealExecutor();
  const path = `${dir.path}/app`;
  const branch = spec({ path, repo: upstream, branch: "main" });
  assert.deepEqual((await convergeOne(git, branch, exec)).outcome, { ok: true });
  for (const [away, before] of [[["--detach"], null], [["-b", "hotfix"], "hotfix"]] as const) {
    gitIn(path, "checkout", "-q", ...away);
    assert.deepEqual(await planOne(git, branch, exec), [
      { field: "branch", before, after: "main" },
    ]);
    assert.deepEqual((await convergeOne(git, branch, exec)).outcome, { ok: true });
    assert.equal(gitIn(path, "rev-parse", "--abbrev-ref", "HEAD"), "main");
    assert.deepEqual(await planOne(git, branch, exec), []);
  }
});

Deno.test("git under another user's link into root's directories is refused by plan and apply", async () => {
  const exec = new RecordingExecutor().put("/home").put("/etc")
    .put("/home/alice", undefined, { uid: 1000 })
    .put("/home/alice/www", "/etc", { kind: "symlink", uid: 1000 });
  const wanted = spec({ path: "/home/alice/www/app", repo: APP.repo, commit: A });
  const changes = await planOne(git, wanted, exec);
  const refused = 'cannot manage "/home/alice/www/app": unsafe path transition from ' +
    '"/home/alice/www" (owned by 1000) to "/etc" (owned by root)';
  assert.deepEqual(changes, [
    { field: "commit", before: null, after: null, note: refused, blocked: true },
  ]);
  const [outcome] = await git.apply([{ spec: wanted, changes }], exec, testContext());
  assert.deepEqual(outcome, { ok: false, error: refused });
  assert.deepEqual([exec.writes, exec.calls], [[], []]);
});

const NO_STORE = { capture: () => Promise.reject(new Error("no paths")), content: () => null };

Deno.test("git snapshot records the commit, branch, origin and owner; headBranch reads HEAD's branch", async () => {
  const s = spec(APP);
  const [state] = await git.read([s], workingCopy(A, B), testContext());
  assert.deepEqual(await git.snapshot!(s, state, NO_STORE), {
    type: "git",
    path: "/srv/app",
    owner: null,
    head: A,
    branch: null,
    origin: APP.repo,
  });
  const exec = new RecordingExecutor().put("/r/.git/HEAD", "ref: refs/heads/release/2\n");
  assert.equal(headBranch(exec, "/r/.git"), "release/2");
  assert.equal(headBranch(exec.put("/r/.git/HEAD", "ref: refs/heads/../x\n"), "/r/.git"), null);
  assert.equal(headBranch(exec.put("/r/.git/HEAD", `${A}\n`), "/r/.git"), null);
});

Deno.test("git restore checks the old commit out again, detached or on its branch as the owner", async () => {
  const detached: GitBefore = {
    type: "git",
    path: "/srv/app",
    owner: null,
    head: A,
    branch: null,
    origin: APP.repo,
  };
  const now = workingCopy(B, B);
  assert.deepEqual(await git.restore!(detached, now, NO_STORE, testContext()), { ok: true });
  assert.deepEqual(now.calls, [["git", "-C", "/srv/app", "checkout", "--quiet", "--detach", A]]);

  const onBranch = { ...detached, owner: "app", branch: "main" };
  const moved = workingCopy(B, B)
    .put("/etc/passwd", "app:x:1001:1001::/home/app:/bin/sh\n")
    .put("/srv/app/.git/config", '[remote "origin"]\n\turl = https://elsewhere/app.git\n');
  assert.deepEqual(await git.restore!(onBranch, moved, NO_STORE, testContext()), { ok: true });
  const as = ["runuser", "-u", "app", "--", "git", "-C", "/srv/app"];
  assert.deepEqual(moved.calls, [
    [...as, "remote", "set-url", "--", "origin", APP.repo],
    [...as, "checkout", "--quiet", "-B", "main", A],
  ]);
});

Deno.test("git restore leaves a working copy the run cloned, and says so", async () => {
  const cloned: GitBefore = {
    type: "git",
    path: "/srv/app",
    owner: null,
    head: null,
    branch: null,
    origin: null,
  };
  const exec = workingCopy(B, B);
  assert.deepEqual(await git.restore!(cloned, exec, NO_STORE, testContext()), {
    ok: false,
    error: '"/srv/app" was cloned by the run: cm leaves the working copy, remove it by hand',
  });
  assert.deepEqual(exec.calls, []);
});

Deno.test("git rollback on a real repository puts the branch back at the old commit", async () => {
  await using dir = await tempDir("cm-git-test-");
  const { upstream, v1 } = upstreamRepo(dir.path);
  const exec = new RealExecutor();
  const path = `${dir.path}/app`;
  const branch = spec({ path, repo: upstream, branch: "main" });
  assert.deepEqual((await convergeOne(git, branch, exec)).outcome, { ok: true });
  release(upstream, "two\n", "v2");
  const [state] = await git.read([branch], exec, testContext());
  const before = await git.snapshot!(branch, state, NO_STORE);
  assert.deepEqual((await convergeOne(git, branch, exec)).outcome, { ok: true });
  assert.equal(Deno.readTextFileSync(`${path}/app.txt`), "two\n");
  assert.deepEqual(await git.restore!(before, exec, NO_STORE, testContext()), { ok: true });
  assert.equal(Deno.readTextFileSync(`${path}/app.txt`), "one\n");
  assert.equal(gitIn(path, "rev-parse", "--abbrev-ref", "HEAD"), "main");
  assert.equal(gitIn(path, "rev-parse", "HEAD"), v1);
});
