import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { Remote, sh } from "../../tests/sync_git.ts";
import { Git, GitError, gitSaid } from "./git.ts";
import { GIT_BASE_ENV } from "./credentials.ts";

/** A repository at `dir` with one empty commit by `t <t@t>`; `env` over git's environment. */
async function repoWithCommit(dir: string, message: string, env: Record<string, string> = {}) {
  await sh(["git", "init", "--quiet", dir]);
  await sh(["git", "-C", dir, "commit", "--quiet", "--allow-empty", "-m", message], "", {
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@t",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@t",
    ...env,
  });
}

Deno.test("a checkout whose .git is damaged is not mistaken for a repository around it", async () => {
  await using tmp = await tempDir("cm-git-");
  await repoWithCommit(tmp.path, "around");
  await Deno.mkdir(`${tmp.path}/state/repo/.git`, { recursive: true });
  const git = new Git(new RealExecutor(), `${tmp.path}/state/repo`);
  assert.equal(await git.head(), null);
  assert.notEqual((await git.run(["status"])).code, 0);
});

Deno.test("a fetch from a remote that accepts and never answers gives up on the stall, not after minutes", async () => {
  // The bounds every sync's git gets (a stall of 30 s at most)...
  assert.ok(Number(GIT_BASE_ENV.GIT_HTTP_LOW_SPEED_TIME) <= 30);
  assert.ok(Number(GIT_BASE_ENV.GIT_HTTP_LOW_SPEED_LIMIT) > 0);
  // ...work: with the stall shortened to 1 s, the fetch fails within seconds.
  await using tmp = await tempDir("cm-git-");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const git = new Git(new RealExecutor(), `${tmp.path}/repo`, { GIT_HTTP_LOW_SPEED_TIME: "1" });
    await git.init(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/r.git`);
    const started = performance.now();
    await assert.rejects(() => git.fetch("main"), GitError);
    assert.ok(performance.now() - started < 20_000);
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("git's automatic gc runs inside the fetch, under the run lock, never detached to outlive the sync", async () => {
  await using tmp = await tempDir("cm-git-");
  const remote = await Remote.create(`${tmp.path}/git`);
  await remote.commit({ "a.yaml": "name: a\n" }, "first");
  const git = new Git(new RealExecutor(), `${tmp.path}/repo`);
  await git.init(remote.fileUrl);
  await git.fetch("main");
  // Loose objects past gc.auto (6,700 by default; lowered to keep the test short): the next
  // fetch starts `git gc --auto`.
  await sh(["git", "-C", `${tmp.path}/repo`, "config", "gc.auto", "1"]);
  const blobs = `${tmp.path}/blobs`;
  await Deno.mkdir(blobs);
  const names = Array.from({ length: 2000 }, (_, i) => `${i}`);
  for (const name of names) await Deno.writeTextFile(`${blobs}/${name}`, `blob ${name}\n`);
  await sh([
    "git",
    "-C",
    blobs,
    `--git-dir=${tmp.path}/repo/.git`,
    "hash-object",
    "-w",
    "--",
    ...names,
  ]);
  await remote.commit({ "b.yaml": "name: b\n" }, "second");
  await git.fetch("main");
  // A detached gc would still run now (holding gc.pid), and leave its report in gc.log.
  assert.equal(await exists(`${tmp.path}/repo/.git/gc.pid`), false);
  for (let i = 0; i < 100 && await exists(`${tmp.path}/repo/.git/gc.pid`); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await exists(`${tmp.path}/repo/.git/gc.log`), false);
  assert.match(
    await sh(["git", "-C", `${tmp.path}/repo`, "count-objects", "-v"]),
    /^packs: [1-9]/m,
  );
});

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("a checkout holds the commit's bytes whatever root's git configuration says about line endings", async () => {
  await using tmp = await tempDir("cm-git-");
  const remote = await Remote.create(`${tmp.path}/git`);
  const commit = await remote.commit({ "run.sh": "#!/bin/sh\necho hi\n" }, "first");
  // What `git config --global core.autocrlf true` in /root/.gitconfig would do.
  await Deno.writeTextFile(`${tmp.path}/gitconfig`, "[core]\n\tautocrlf = true\n");
  const git = new Git(new RealExecutor(), `${tmp.path}/repo`, {
    GIT_CONFIG_GLOBAL: `${tmp.path}/gitconfig`,
  });
  await git.init(remote.fileUrl);
  await git.fetch("main");
  await git.checkout(commit);
  assert.equal(await Deno.readTextFile(`${tmp.path}/repo/run.sh`), "#!/bin/sh\necho hi\n");
  await git.addWorktree(`${tmp.path}/candidate`, commit);
  assert.equal(await Deno.readTextFile(`${tmp.path}/candidate/run.sh`), "#!/bin/sh\necho hi\n");
  assert.deepEqual(await git.localEdits(), []);
});

Deno.test("a checkout holds the commit's links and bytes whatever root's global attributes, core.symlinks and hooks say", async () => {
  await using tmp = await tempDir("cm-git-");
  const remote = await Remote.create(`${tmp.path}/git`);
  await Deno.writeTextFile(`${remote.work}/app.conf`, "a = 1\nb = 2\n");
  await Deno.symlink("app.conf", `${remote.work}/current.conf`);
  const commit = await remote.commit({}, "first");
  // What /root/.gitconfig and /root/.config/git/attributes (read unconfigured) would do.
  await Deno.writeTextFile(`${tmp.path}/attributes`, "* text eol=crlf\n");
  await Deno.mkdir(`${tmp.path}/hooks`);
  await Deno.writeTextFile(`${tmp.path}/hooks/post-checkout`, "#!/bin/sh\nexit 1\n", {
    mode: 0o755,
  });
  await Deno.writeTextFile(
    `${tmp.path}/gitconfig`,
    `[core]\n\tsymlinks = false\n\tattributesFile = ${tmp.path}/attributes\n\thooksPath = ${tmp.path}/hooks\n`,
  );
  const git = new Git(new RealExecutor(), `${tmp.path}/repo`, {
    GIT_CONFIG_GLOBAL: `${tmp.path}/gitconfig`,
  });
  await git.init(remote.fileUrl);
  await git.fetch("main");
  await git.checkout(commit);
  await git.addWorktree(`${tmp.path}/candidate`, commit);
  for (const dir of [`${tmp.path}/repo`, `${tmp.path}/candidate`]) {
    assert.equal(await Deno.readTextFile(`${dir}/app.conf`), "a = 1\nb = 2\n");
    assert.equal(await Deno.readLink(`${dir}/current.conf`), "app.conf");
  }
  assert.deepEqual(await git.localEdits(), []);
});

Deno.test("a node's edit to the checkout is found and undone whatever a global fsmonitor hook says", async () => {
  await using tmp = await tempDir("cm-git-");
  const remote = await Remote.create(`${tmp.path}/git`);
  const commit = await remote.commit({ "app.conf": "committed\n" }, "first");
  // A hook (v2) that, once it has given a token, reports nothing changed: a stale watchman.
  await Deno.writeTextFile(
    `${tmp.path}/fsmonitor`,
    `#!/bin/sh\nif [ -z "$2" ]; then printf 'tok\\0/\\0'; else printf 'tok\\0'; fi\n`,
    { mode: 0o755 },
  );
  await Deno.writeTextFile(
    `${tmp.path}/gitconfig`,
    `[core]\n\tfsmonitor = ${tmp.path}/fsmonitor\n\tfsmonitorHookVersion = 2\n`,
  );
  const git = new Git(new RealExecutor(), `${tmp.path}/repo`, {
    GIT_CONFIG_GLOBAL: `${tmp.path}/gitconfig`,
  });
  await git.init(remote.fileUrl);
  await git.fetch("main");
  await git.checkout(commit);
  assert.deepEqual(await git.localEdits(), []);
  await Deno.writeTextFile(`${tmp.path}/repo/app.conf`, "edited on the node\n");
  assert.deepEqual(await git.localEdits(), [" M app.conf"]);
  await git.checkout(commit);
  assert.equal(await Deno.readTextFile(`${tmp.path}/repo/app.conf`), "committed\n");
});

Deno.test("a failed fetch keeps git's first line, the cause, not only its generic closing advice", async () => {
  await using tmp = await tempDir("cm-git-");
  const git = new Git(new RealExecutor(), `${tmp.path}/repo`);
  await git.init(`file://${tmp.path}/missing.git`);
  await assert.rejects(() => git.fetch("main"), (e: Error) => {
    assert.ok(e instanceof GitError);
    assert.match(e.message, /does not appear to be a git repository/);
    assert.match(e.message, /and the repository exists\.$/);
    return true;
  });
});

Deno.test("git's message: up to four lines whole, else the first and the last three, saying how many were cut", () => {
  assert.equal(gitSaid("\n"), "(no output)");
  assert.equal(gitSaid("fatal: a\n\nfatal: b\nhint\n"), "fatal: a / fatal: b / hint");
  assert.equal(
    gitSaid("error: would be overwritten:\n\ta\n\tb\n\tc\nPlease commit\nAborting\n"),
    "error: would be overwritten: / (2 line(s) cut) / \tc / Please commit / Aborting",
  );
});

Deno.test("a commit's time is ISO 8601 in UTC, as every time in cm's JSON, whatever the committer's zone", async () => {
  await using tmp = await tempDir("cm-git-");
  await repoWithCommit(tmp.path, "paris", { GIT_COMMITTER_DATE: "2026-12-02T08:17:05+01:00" });
  const git = new Git(new RealExecutor(), tmp.path);
  assert.equal(await git.commitTime("HEAD"), "2026-12-02T07:17:05.000Z");
  assert.equal(await git.commitTime("0".repeat(40)), undefined);
});
