/**
 * syncOnce in process against real git repositories in temp dirs, with an
 * executor that can make the live checkout read differently from the
 * candidate work tree: a way to fail an apply after validation passed.
 */
import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { sha256Hex } from "../digest.ts";
import { tempDir } from "../_testing.ts";
import { fileCookbook, Remote, sh } from "../../tests/sync_git.ts";
import type { SyncSettings } from "./config.ts";
import { type SyncEvents, syncOnce, type SyncOptions } from "./sync.ts";
import { rollbackRun } from "../app/health.ts";
import { converge } from "../app/converge.ts";
import { statusLines } from "../cli/status.ts";

/** Reads of `path` whose content matches `when` return `replacement` instead. */
class TamperingExecutor extends RealExecutor {
  constructor(readonly path: string, readonly when: RegExp, readonly replacement: string) {
    super();
  }
  override readFile(path: string): Uint8Array | null {
    const data = super.readFile(path);
    if (path !== this.path || data === null) return data;
    if (!this.when.test(new TextDecoder().decode(data))) return data;
    return new TextEncoder().encode(this.replacement);
  }
  // The catalog hashes its inputs through hashFile: it must see the same bytes as readFile.
  override async hashFile(path: string): Promise<string | null> {
    if (path !== this.path) return await super.hashFile(path);
    const data = this.readFile(path);
    return data && await sha256Hex(data);
  }
}

/** Events that keep the sync's notes, warnings and problems as lines. */
function capture(): SyncEvents & { lines: string[] } {
  const lines: string[] = [];
  const push = (line: string) => lines.push(line);
  return { lines, note: push, warning: push, problem: push };
}

/**
 * A remote with no commits yet, a state directory under `tmp`, and `once`:
 * one sync of the remote's main branch, with the lines it printed as `stderr`.
 */
async function syncBench(tmp: string, hostname = "test") {
  const remote = await Remote.create(`${tmp}/git`);
  const stateDir = `${tmp}/state`;
  const settings: SyncSettings = {
    repo: remote.fileUrl,
    branch: "main",
    interval: 300,
    splay: 0,
    verifySignatures: false,
  };
  const once = async (
    exec: RealExecutor = new RealExecutor(),
    extra: Partial<SyncSettings> = {},
    options: SyncOptions = {},
  ) => {
    const events = capture();
    const outcome = await syncOnce({ ...settings, ...extra }, exec, {
      stateDir,
      hostname,
      events,
      ...options,
    });
    return { ...outcome, stderr: events.lines.join("\n") };
  };
  return { remote, stateDir, once };
}

async function read(path: string): Promise<string | null> {
  return await Deno.readTextFile(path).catch(() => null);
}

// deno-lint-ignore no-explicit-any
async function syncState(stateDir: string): Promise<any> {
  return JSON.parse(await Deno.readTextFile(`${stateDir}/state.json`)).sync;
}

Deno.test("an apply that fails after validation keeps lastGood; later syncs converge it, stay bad or go back", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "cm-sync-" });
  try {
    const { remote, stateDir, once: syncWith } = await syncBench(tmp);
    const target = `${tmp}/motd`;
    // The live checkout's cookbook fails to load whenever it holds v2 (the candidate reads fine).
    const exec = new TamperingExecutor(
      `${stateDir}/repo/default.yaml`,
      /v2/,
      "name: x\nconfigure:\n  filez: []\n",
    );
    const once = () => syncWith(exec);

    const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "good");
    assert.equal((await once()).status, "applied");
    assert.equal((await syncState(stateDir)).lastGood, c1);

    const c2 = await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "bad");
    for (let i = 0; i < 2; i++) {
      // The remote stays bad: refused each time, the last good commit converged again.
      await Deno.writeTextFile(target, "drifted\n");
      const r = await once();
      assert.equal(r.status, "kept", r.stderr);
      assert.match(r.stderr, /did you mean "files"/);
      assert.match(r.stderr, new RegExp(`kept last good commit ${c1.slice(0, 12)}`));
      assert.equal(await read(target), "v1\n");
      assert.equal(await sh(["git", "-C", `${stateDir}/repo`, "rev-parse", "HEAD"]), c1);
      const s = await syncState(stateDir);
      assert.equal(s.lastGood, c1);
      assert.equal(s.commit, c1);
      assert.equal(s.rejected, c2);
      assert.equal(s.result, "kept");
    }

    // The remote moves back to the good commit: converged, exit 0.
    await sh(["git", "-C", remote.work, "push", "--quiet", "--force", "origin", `${c1}:main`]);
    await Deno.writeTextFile(target, "drifted\n");
    const back = await once();
    assert.equal(back.status, "converged", back.stderr);
    assert.equal(await read(target), "v1\n");
    const s = await syncState(stateDir);
    assert.equal(s.lastGood, c1);
    assert.equal(s.commit, c1);
    assert.equal(s.result, "converged");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("lastGood survives a last good commit that no longer loads and a lost checkout", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "cm-sync-" });
  try {
    const { remote, stateDir, once } = await syncBench(tmp);
    const target = `${tmp}/motd`;
    const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "good");
    assert.equal((await once()).status, "applied");

    // The last good commit itself stops loading (say, after an upgrade of cm): an error, recorded.
    const broken = new TamperingExecutor(`${stateDir}/repo/default.yaml`, /v1/, "filez: []\n");
    await assert.rejects(() => once(broken), /unknown field/);
    let s = await syncState(stateDir);
    assert.equal(s.result, "failed");
    assert.equal(s.lastGood, c1);

    // The checkout is lost and the new commit is bad: the last good one is fetched again, applied.
    await Deno.remove(`${stateDir}/repo`, { recursive: true });
    await Deno.remove(target);
    const c2 = await remote.commit({ "default.yaml": "filez: []\n" }, "bad");
    let r = await once();
    assert.equal(r.status, "kept");
    assert.match(r.stderr, /kept last good commit/);
    assert.equal(await read(target), "v1\n");

    // Lost again, and the remote no longer has it: nothing to fall back to, still remembered.
    await Deno.remove(`${stateDir}/repo`, { recursive: true });
    const c3 = await remote.forcePushNewRoot({ "default.yaml": "filez: []\n" }, "rewritten");
    await sh(["git", "-C", remote.bare, "reflog", "expire", "--expire=now", "--all"]);
    await sh(["git", "-C", remote.bare, "gc", "--quiet", "--prune=now"]);
    r = await once();
    assert.equal(r.status, "kept");
    assert.match(r.stderr, /last good commit [0-9a-f]{12} is no longer in .* nor to be fetched/);
    s = await syncState(stateDir);
    assert.equal(s.result, "kept");
    assert.equal(s.rejected, c3);
    assert.notEqual(c2, c3);
    assert.equal(s.lastGood, c1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a commit that fails health is rolled back and quarantined until a newer commit", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "cm-sync-" });
  try {
    const { remote, stateDir, once } = await syncBench(tmp);
    const target = `${tmp}/site.conf`;
    const book = (content: string) =>
      fileCookbook(target, content) +
      `health:\n  - command: [grep, -q, good, ${target}]\n    retries: 0\n`;
    const c1 = await remote.commit({ "default.yaml": book("good\n") }, "good");
    assert.equal((await once()).status, "applied");
    const c2 = await remote.commit({ "default.yaml": book("broken\n") }, "breaks health");
    const bad = await once();
    assert.equal(bad.status, "kept", bad.stderr);
    assert.equal(bad.report?.rollback?.ok, true);
    assert.equal(await read(target), "good\n");
    assert.match(bad.stderr, new RegExp(`quarantined ${c2.slice(0, 12)}: health failed`));
    assert.equal((await syncState(stateDir)).quarantined.commit, c2);
    assert.equal(await sh(["git", "-C", `${stateDir}/repo`, "rev-parse", "HEAD"]), c1);

    const again = await once();
    assert.equal(again.status, "kept");
    assert.match(again.stderr, /commit is quarantined: health failed after applying it/);
    assert.ok(!again.report?.rollback, "the quarantined commit is not applied again");
    assert.equal(await read(target), "good\n");

    const c3 = await remote.commit({ "default.yaml": book("good, fixed\n") }, "fixed");
    const fixed = await once();
    assert.equal(fixed.status, "applied", fixed.stderr);
    assert.equal(await read(target), "good, fixed\n");
    const s = await syncState(stateDir);
    assert.equal(s.lastGood, c3);
    assert.equal(s.quarantined, undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a rollback is checked with the last good commit's health checks, not with a check the bad commit added", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "cm-sync-" });
  try {
    const { remote, once } = await syncBench(tmp);
    const target = `${tmp}/site.conf`;
    const check = (word: string) => `  - command: [grep, -q, ${word}, ${target}]\n    retries: 0\n`;
    const good = fileCookbook(target, "good\n") + `health:\n${check("good")}`;
    await remote.commit({ "default.yaml": good }, "good");
    assert.equal((await once()).status, "applied");
    // The new feature and its check arrive together; the feature is broken.
    const feature = fileCookbook(target, "good v2\n") +
      `health:\n${check("good")}${check("feature")}`;
    await remote.commit({ "default.yaml": feature }, "feature with its check");
    const bad = await once();
    assert.equal(bad.status, "kept", bad.stderr);
    assert.equal(await read(target), "good\n");
    assert.equal(bad.report?.rollback?.ok, true, JSON.stringify(bad.report?.rollback));
    assert.deepEqual(bad.report?.rollback?.health.checks.map((c) => c.id), [
      `command[grep -q good ${target}]`,
    ]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a changed cookbook selection is reported and recorded; on_cookbook_change: refuse keeps the last good commit", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "cm-sync-" });
  try {
    const { remote, stateDir, once: syncWith } = await syncBench(tmp, "web1");
    const once = (extra: Partial<SyncSettings> = {}) => syncWith(new RealExecutor(), extra);
    const c1 = await remote.commit({
      "nodes/web1.yaml": fileCookbook(`${tmp}/node`, "node\n"),
      "default.yaml": fileCookbook(`${tmp}/default`, "default\n"),
    }, "both");
    assert.equal((await once()).status, "applied");

    // The node's file disappears: refused with on_cookbook_change: refuse, nothing applied.
    const c2 = await remote.commit({ "nodes/web1.yaml": null }, "drop web1");
    const refused = await once({ refuseCookbookChange: true });
    assert.equal(refused.status, "kept");
    const change = "cookbook selection changed: was nodes/web1.yaml, now default.yaml";
    assert.match(refused.stderr, new RegExp(`${change}.*refused \\(on_cookbook_change: refuse\\)`));
    assert.equal(await read(`${tmp}/default`), null);
    let s = await syncState(stateDir);
    assert.equal(s.rejected, c2);
    assert.equal(s.lastGood, c1);

    // By default it is said loudly, recorded, and applied.
    const warned = await once();
    assert.equal(warned.status, "applied", warned.stderr);
    assert.match(warned.stderr, new RegExp(change));
    assert.equal(await read(`${tmp}/default`), "default\n");
    s = await syncState(stateDir);
    assert.deepEqual(s.cookbooks, ["default.yaml"]);
    assert.match(s.selectionChange, new RegExp(change));

    // It stays recorded (a problem of cm status) until it is over, but is said only once.
    const later = await once();
    assert.equal(later.status, "converged", later.stderr);
    assert.doesNotMatch(later.stderr, /cookbook selection changed/);
    s = await syncState(stateDir);
    assert.match(s.selectionChange, new RegExp(change));
    // The node's file is back: over.
    await remote.commit({ "nodes/web1.yaml": fileCookbook(`${tmp}/node`, "node\n") }, "back");
    assert.equal((await once()).status, "applied");
    s = await syncState(stateDir);
    assert.deepEqual(s.cookbooks, ["nodes/web1.yaml"]);
    assert.equal(s.selectionChange, undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a checkout replaced by a file, or with a damaged .git, is fetched afresh and the new commit applied", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  assert.equal((await once()).status, "applied");
  for (const [damage, version] of [["file", "v2"], ["empty .git", "v3"]]) {
    await Deno.remove(`${stateDir}/repo`, { recursive: true });
    if (damage === "file") await Deno.writeTextFile(`${stateDir}/repo`, "junk\n");
    else await Deno.mkdir(`${stateDir}/repo/.git`, { recursive: true });
    await remote.commit({ "default.yaml": fileCookbook(target, `${version}\n`) }, version);
    const r = await once();
    assert.equal(r.status, "applied", damage);
    assert.match(r.stderr, /repo was not a usable git repository: removed, fetching afresh/);
    assert.equal(await read(target), `${version}\n`);
  }
});

Deno.test("a checkout whose .git is a link to another repository is fetched afresh; that repository is left alone", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  assert.equal((await once()).status, "applied");
  const app = await Remote.create(`${tmp.path}/app`);
  const appHead = await app.commit({ "index.php": "<?php\n" }, "the app");
  await Deno.remove(`${stateDir}/repo/.git`, { recursive: true });
  await Deno.symlink(`${app.work}/.git`, `${stateDir}/repo/.git`);
  await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "v2");
  const r = await once();
  assert.equal(r.status, "applied", r.stderr);
  assert.match(r.stderr, /repo was not a usable git repository: removed, fetching afresh/);
  assert.equal(await read(target), "v2\n");
  assert.equal(await sh(["git", "-C", app.work, "rev-parse", "HEAD"]), appHead);
  assert.equal(await sh(["git", "-C", app.work, "config", "remote.origin.url"]), app.bare);
  assert.equal(await sh(["git", "-C", app.work, "status", "--porcelain"]), "");
});

Deno.test("git lock files a killed sync left behind are removed, and the new commit applied", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  assert.equal((await once()).status, "applied");
  for (const lock of ["index.lock", "HEAD.lock", "shallow.lock"]) {
    await Deno.writeTextFile(`${stateDir}/repo/.git/${lock}`, "");
  }
  await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "v2");
  const r = await once();
  assert.equal(r.status, "applied");
  assert.match(r.stderr, /removed .*\/\.git\/index\.lock, left by a git process that was killed/);
  assert.equal(await read(target), "v2\n");
});

Deno.test("local edits hidden from git status (skip-worktree, assume-unchanged, sparse checkout) are discarded too", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  const repo = `${stateDir}/repo`;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n"), "notes": "n\n" }, "v1");
  assert.equal((await once()).status, "applied");
  // The same commit again, then a new one: the file edited on the node is the commit's again.
  for (
    const [flag, version, tag] of [["--skip-worktree", "v1", "S"], [
      "--assume-unchanged",
      "v2",
      "h",
    ]]
  ) {
    await Deno.writeTextFile(`${repo}/default.yaml`, fileCookbook(target, "edited on the node\n"));
    await sh(["git", "-C", repo, "update-index", flag, "default.yaml"]);
    if (version !== "v1") {
      await remote.commit({ "default.yaml": fileCookbook(target, `${version}\n`) }, version);
    }
    const r = await once();
    assert.match(
      r.stderr,
      new RegExp(`discarding 1 local edit\\(s\\) .*: ${tag} default.yaml`),
      flag,
    );
    assert.equal(await read(target), `${version}\n`, flag);
    assert.equal(await read(`${repo}/default.yaml`), fileCookbook(target, `${version}\n`), flag);
  }
  // A sparse checkout leaves tracked files out of the work tree: they come back.
  await sh(["git", "-C", repo, "sparse-checkout", "set", "--no-cone", "/default.yaml"]);
  assert.equal(await read(`${repo}/notes`), null);
  const r = await once();
  assert.match(r.stderr, /discarding 1 local edit\(s\) .*: S notes/);
  assert.equal(await read(`${repo}/notes`), "n\n");
  // ...and stay out of the work tree a new commit is validated in, which git would make sparse too.
  await sh(["git", "-C", repo, "sparse-checkout", "set", "--no-cone", "/notes"]);
  await remote.commit({ "default.yaml": fileCookbook(target, "v3\n") }, "v3");
  assert.equal((await once()).status, "applied");
  assert.equal(await read(target), "v3\n");
});

Deno.test({
  name:
    "a checkout git cannot clean (an immutable file) is a recorded failure that applies nothing, not a bug in cm",
  // chattr +i needs root (CAP_LINUX_IMMUTABLE).
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await using tmp = await tempDir("cm-sync-");
    const { remote, stateDir, once } = await syncBench(tmp.path);
    const target = `${tmp.path}/motd`;
    const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
    assert.equal((await once()).status, "applied");
    const stuck = `${stateDir}/repo/left-on-the-node`;
    await Deno.writeTextFile(stuck, "x\n");
    await sh(["chattr", "+i", stuck]);
    try {
      // The same commit again (drift to repair), then a new one: neither can be checked out clean.
      for (const version of ["v1", "v2"]) {
        if (version === "v2") {
          await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, version);
        }
        await Deno.writeTextFile(target, "drifted\n");
        const r = await once();
        assert.equal(r.status, "failed", version);
        assert.equal(r.report, undefined, version);
        assert.match(
          r.reason!,
          new RegExp(
            `cannot check out ${c1.slice(0, 12)} in .*/repo: git clean: .*; nothing applied`,
          ),
        );
        assert.match(r.stderr, /cannot check out/);
        assert.equal(await read(target), "drifted\n", version);
        const s = await syncState(stateDir);
        assert.equal(s.result, "failed");
        assert.equal(s.commit, c1);
        assert.equal(s.lastGood, c1);
      }
    } finally {
      await sh(["chattr", "-i", stuck]);
    }
    const r = await once();
    assert.equal(r.status, "applied", r.stderr);
    assert.equal(await read(target), "v2\n");
  },
});

Deno.test("a validation work tree a killed git worktree add left locked is cleared, and the new commit applied", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  assert.equal((await once()).status, "applied");
  const candidate = `${stateDir}/candidate`;
  for (const [left, version] of [["half checked out", "v2"], ["removed since", "v3"]]) {
    // What `git worktree add` leaves when killed: the work tree registered, locked "initializing".
    await sh(["git", "-C", `${stateDir}/repo`, "worktree", "add", "--detach", candidate, "HEAD"]);
    await Deno.writeTextFile(`${stateDir}/repo/.git/worktrees/candidate/locked`, "initializing");
    if (left === "removed since") await Deno.remove(candidate, { recursive: true });
    else await Deno.remove(`${candidate}/default.yaml`);
    await remote.commit({ "default.yaml": fileCookbook(target, `${version}\n`) }, version);
    const r = await once();
    assert.equal(r.status, "applied", `${left}: ${r.stderr}`);
    assert.equal(await read(target), `${version}\n`);
  }
});

Deno.test("a branch the remote lacks is explained: an empty repository, a tag of that name, the branches there", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  let r = await once();
  assert.equal(r.status, "kept");
  assert.match(r.reason!, /branch "main" \(the repository is empty: no branch yet\)/);
  await remote.commit({ "default.yaml": fileCookbook(`${tmp.path}/motd`, "v1\n") }, "v1");
  await sh(["git", "-C", remote.work, "tag", "v1"]);
  await sh(["git", "-C", remote.work, "push", "--quiet", "origin", "v1"]);
  r = await once(undefined, { branch: "v1" });
  assert.match(r.reason!, /\("v1" is a tag there, not a branch: cm sync follows a branch\)/);
  r = await once(undefined, { branch: "production" });
  assert.match(r.reason!, /\(no branch "production" there; its branches: main\)/);
  assert.match(r.stderr, /fetch from file:\/\/.* failed: .*no branch "production" there/);
  assert.equal((await syncState(stateDir)).result, "kept");
});

Deno.test("a checkout a power loss damaged (an empty ref, index or object file) is fetched afresh, never a failure for good", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  const git = (...args: string[]) => sh(["git", "-C", `${stateDir}/repo`, ...args]);
  const objectFile = async (rev: string) => {
    const id = await git("rev-parse", rev);
    return `${stateDir}/repo/.git/objects/${id.slice(0, 2)}/${id.slice(2)}`;
  };
  const damages: [string, () => Promise<string>][] = [
    ["the fetched ref", () => Promise.resolve(".git/refs/cm/fetched")],
    ["refs/cm/last-good", () => Promise.resolve(".git/refs/cm/last-good")],
    // git does not sync its index: a node's edits in the work tree went unseen with it damaged.
    ["the index", async () => {
      await Deno.writeTextFile(`${stateDir}/repo/default.yaml`, fileCookbook(target, "edited\n"));
      return ".git/index";
    }],
    ["the cookbook's object", () => objectFile("HEAD:default.yaml")],
    ["the commit's object", () => objectFile("HEAD")],
  ];
  let version = 0;
  await remote.commit({ "default.yaml": fileCookbook(target, `v${version}\n`) }, `v${version}`);
  assert.equal((await once()).status, "applied");
  for (const [damage, file] of damages) {
    const path = await file();
    const full = path.startsWith("/") ? path : `${stateDir}/repo/${path}`;
    await Deno.chmod(full, 0o644);
    await Deno.writeTextFile(full, "");
    version++;
    await remote.commit({ "default.yaml": fileCookbook(target, `v${version}\n`) }, `v${version}`);
    // This sync, or at the latest the next one, applies the new commit.
    let r = await once();
    let said = r.stderr;
    if (r.status !== "applied") said += (r = await once()).stderr;
    assert.equal(r.status, "applied", `${damage}: ${said}`);
    assert.match(said, /git cannot use .*\/repo .*: removed, fetching afresh/, damage);
    assert.equal(await read(target), `v${version}\n`, damage);
    // A checkout removed after the apply is back with the next sync.
    assert.match((await once()).status, /^(converged|applied)$/, damage);
  }
});

Deno.test("a branch renamed to a name under its old one (release to release/2026) is followed", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  const push = (...refspecs: string[]) =>
    sh(["git", "-C", remote.work, "push", "--quiet", "origin", ...refspecs]);
  await push("main:release");
  assert.equal((await once(undefined, { branch: "release" })).status, "applied");
  // The remote-tracking ref git (and cm before 2026-12-02) kept for it.
  await sh(["git", "-C", `${stateDir}/repo`, "update-ref", "refs/remotes/origin/release", "HEAD"]);
  await push(":release");
  await push("main:release/2026");
  const r = await once(undefined, { branch: "release/2026" });
  assert.equal(r.status, "converged", r.stderr);
});

Deno.test("thousands of local edits are all discarded; the state lists the first 100 and counts them", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  await remote.commit({ "default.yaml": fileCookbook(`${tmp.path}/motd`, "v1\n") }, "v1");
  assert.equal((await once()).status, "applied");
  await Deno.mkdir(`${stateDir}/repo/build`);
  for (let i = 0; i < 2000; i++) await Deno.writeTextFile(`${stateDir}/repo/build/o${i}`, "");
  const r = await once();
  assert.equal(r.status, "converged");
  assert.match(r.stderr, /discarding 2000 local edit\(s\)/);
  assert.equal(await read(`${stateDir}/repo/build/o1999`), null);
  const s = await syncState(stateDir);
  assert.equal(s.discarded.length, 100);
  assert.equal(s.discardedCount, 2000);
  assert.ok((await Deno.stat(`${stateDir}/state.json`)).size < 20_000);
  assert.ok(
    statusLines({ version: 1, resources: {}, sync: s }).includes(
      "discarded:    2000 local edit(s)",
    ),
  );
});

Deno.test("cm rollback of a synced commit quarantines it: the next sync does not apply it again", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  assert.equal((await once()).status, "applied");
  const c2 = await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "v2");
  const applied = await once();
  assert.equal(applied.status, "applied");

  const { record } = await rollbackRun(applied.report!.id, new RealExecutor(), { stateDir });
  assert.equal(record.ok, true);
  assert.equal(await read(target), "v1\n");
  const after = await once();
  assert.equal(after.status, "kept");
  assert.match(after.stderr, /quarantined \(rolled back by hand \(cm rollback\).*nothing applied/);
  assert.equal(await read(target), "v1\n", "the rollback stands");
  assert.equal((await syncState(stateDir)).quarantined.commit, c2);

  // A newer commit lifts it.
  await remote.commit({ "default.yaml": fileCookbook(target, "v3\n") }, "v3");
  assert.equal((await once()).status, "applied");
  assert.equal(await read(target), "v3\n");
  assert.equal((await syncState(stateDir)).quarantined, undefined);
});

Deno.test("a check plans what the sync would converge and changes nothing a later sync relies on", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const target = `${tmp.path}/motd`;
  const check = () => once(new RealExecutor(), {}, { check: true });
  const head = () => sh(["git", "-C", `${stateDir}/repo`, "rev-parse", "HEAD"]);

  // Before any sync: the first commit would be applied; nothing is written but the checkout's objects.
  const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  const first = await check();
  assert.equal(first.status, "applied", first.stderr);
  assert.equal(first.report?.mode, "plan");
  assert.equal(first.report?.totals.changed, 1);
  assert.equal(await read(target), null);
  assert.equal(await read(`${stateDir}/state.json`), null);
  assert.equal((await once()).status, "applied");

  // A new commit, and a local edit in the live checkout: planned from a clean tree of the commit.
  const c2 = await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "v2");
  await Deno.writeTextFile(`${stateDir}/repo/default.yaml`, fileCookbook(target, "edited\n"));
  const state = await Deno.readTextFile(`${stateDir}/state.json`);
  const planned = await check();
  assert.equal(planned.status, "applied", planned.stderr);
  assert.match(planned.stderr, /would discard 1 local edit/);
  const [motd] = planned.report!.resources;
  assert.deepEqual(motd.changes.find((c) => c.field === "content")?.after, "3 B, 1 line");
  assert.equal(await read(target), "v1\n");
  assert.equal(await head(), c1, "the live checkout stays on the applied commit");
  assert.match(await Deno.readTextFile(`${stateDir}/repo/default.yaml`), /edited/);
  assert.equal(await Deno.readTextFile(`${stateDir}/state.json`), state, "nothing recorded");
  assert.equal(await read(`${stateDir}/candidate`), null);

  // The sync that follows applies the commit as new, not as one already applied.
  const applied = await once();
  assert.equal(applied.status, "applied", applied.stderr);
  assert.equal(await read(target), "v2\n");
  assert.equal((await syncState(stateDir)).lastGood, c2);

  // A commit that does not validate: the check says the last good one would be kept, and plans it.
  await Deno.writeTextFile(target, "drifted\n");
  const c3 = await remote.commit({ "default.yaml": "name: x\nconfigure:\n  filez: []\n" }, "bad");
  const kept = await check();
  assert.equal(kept.status, "kept", kept.stderr);
  assert.equal(kept.record.rejected, c3);
  assert.match(kept.stderr, new RegExp(`would keep last good commit ${c2.slice(0, 12)}`));
  assert.equal(kept.report?.mode, "plan");
  assert.equal(kept.report?.totals.changed, 1, "the drift the sync would repair");
  assert.equal(await read(target), "drifted\n");
  assert.equal((await syncState(stateDir)).rejected, undefined);
});

Deno.test("cm rollback of a cm apply on a node that syncs names what the next sync converges again", async () => {
  await using tmp = await tempDir("cm-sync-");
  const { remote, stateDir, once } = await syncBench(tmp.path);
  const exec = new RealExecutor();
  const [target, extra] = [`${tmp.path}/motd`, `${tmp.path}/extra`];
  const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  assert.equal((await once()).status, "applied");

  // v2 is pushed; someone applies it by hand (with a file git does not declare) before the timer does.
  await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "v2");
  const book = `${tmp.path}/hand.yaml`;
  await Deno.writeTextFile(
    book,
    fileCookbook(target, "v2\n") + `    - path: ${extra}\n      content: "x\\n"\n`,
  );
  const hand = await converge([book], exec, { mode: "apply", stateDir, lock: "take" });
  assert.equal(hand.totals.changed, 2);
  const { record, resync } = await rollbackRun(hand.id, exec, { stateDir });
  assert.equal(record.ok, true);
  assert.equal(await read(target), "v1\n");
  assert.deepEqual(resync, { commit: c1, ids: [`file[${target}]`] });
  assert.equal((await syncState(stateDir)).quarantined, undefined, "no commit to quarantine");

  // cm sync follows git, not the rollback.
  assert.equal((await once()).status, "applied");
  assert.equal(await read(target), "v2\n");
});
