/**
 * cm sync end to end on this machine: real git repositories in temp dirs,
 * served over file:// and over `git daemon` on 127.0.0.1, cm run as a process
 * under the shipped permission flags. Cookbooks only manage files under the
 * test's temp dir.
 */
import assert from "node:assert/strict";
import { runCm, tempDir } from "./harness.ts";
import { fileCookbook, GitDaemon, Remote, sh } from "./sync_git.ts";
import { acquireLock } from "../src/state/lock.ts";
import { cmCommand } from "../scripts/cm_command.ts";
import { humanTime } from "../src/text.ts";

async function read(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

// deno-lint-ignore no-explicit-any
async function state(stateDir: string): Promise<any> {
  return JSON.parse(await Deno.readTextFile(`${stateDir}/state.json`));
}

function sync(url: string, stateDir: string, extra: string[], env: Record<string, string>) {
  return runCm(["sync", "--once", "--repo", url, "--state-dir", stateDir, ...extra], { env });
}

/** A node config that the flags override entirely, so the machine's own /etc/config-manager is never read. */
async function flagsOnly(dir: string): Promise<Record<string, string>> {
  const path = `${dir}/empty-config.yaml`;
  await Deno.writeTextFile(path, "# flags only\nrepo: file:///placeholder\n");
  return { CM_CONFIG: path };
}

/** A temp dir with a bare remote, a managed file path, a state dir and a flags-only config. */
async function syncFixture() {
  const tmp = await tempDir("cm-sync-");
  return {
    tmp,
    remote: await Remote.create(`${tmp.path}/git`),
    target: `${tmp.path}/motd`,
    stateDir: `${tmp.path}/state`,
    env: await flagsOnly(tmp.path),
    [Symbol.asyncDispose]: () => tmp[Symbol.asyncDispose](),
  };
}

Deno.test("sync over file:// applies a new commit, converges when unchanged and repairs drift", async () => {
  await using fx = await syncFixture();
  const { remote, target, stateDir, env } = fx;
  const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "first");

  let r = await sync(remote.fileUrl, stateDir, [], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(target), "v1\n");
  assert.match(r.stderr, /new commit [0-9a-f]{12} "first"/);
  let s = await state(stateDir);
  assert.equal(s.sync.commit, c1);
  assert.equal(s.sync.lastGood, c1);
  assert.equal(s.sync.result, "applied");
  assert.equal(s.lastRun.commit, c1);
  assert.match(s.sync.commitTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-Z]/);
  const report = JSON.parse(await Deno.readTextFile(`${stateDir}/runs/${s.lastRun.id}.json`));
  assert.equal(report.commit, c1);

  // No new commit: converge only; drift (the file removed) is repaired, and recorded as drift.
  await Deno.remove(target);
  r = await sync(remote.fileUrl, stateDir, [], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no new commit .*converging/);
  assert.match(r.stdout, /drift: repaired 1 resource\(s\) changed outside cm/);
  assert.equal(await read(target), "v1\n");
  assert.equal((await state(stateDir)).sync.result, "converged");
  assert.equal((await state(stateDir)).sync.commitTime, s.sync.commitTime);

  // --only-if-changed: nothing applied when the commit is the same.
  await Deno.writeTextFile(target, "drifted\n");
  r = await sync(remote.fileUrl, stateDir, ["--only-if-changed"], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(target), "drifted\n");
  assert.equal((await state(stateDir)).sync.result, "skipped");

  // A new commit is applied, also with --only-if-changed.
  const c2 = await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "second");
  r = await sync(remote.fileUrl, stateDir, ["--only-if-changed"], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(target), "v2\n");
  s = await state(stateDir);
  assert.equal(s.sync.commit, c2);

  // cm status shows the commit, the last sync and the last run.
  const status = await runCm(["status", "--state-dir", stateDir]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`commit: +${c2}`));
  assert.match(status.stdout, /last sync: .*: applied/);
  assert.match(status.stdout, new RegExp(`last run: .* apply ok .*commit ${c2.slice(0, 12)}`));
});

Deno.test("sync over git daemon: remote down keeps the last good commit (exit 4, reported), then recovers", async () => {
  await using fx = await syncFixture();
  const { tmp, remote, target, stateDir, env } = fx;
  const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "first");
  await using daemon = await GitDaemon.start(`${tmp.path}/git`);
  const url = daemon.url(remote.bare);

  let r = await sync(url, stateDir, [], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(target), "v1\n");

  await daemon.stop();
  await Deno.writeTextFile(target, "drifted\n");
  r = await sync(url, stateDir, [], env);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /fetch from git:\/\/127\.0\.0\.1:\d+\/remote\.git failed/);
  assert.match(r.stderr, new RegExp(`kept last good commit ${c1.slice(0, 12)}`));
  // The last good commit is still converged while the remote is down.
  assert.equal(await read(target), "v1\n");
  let s = await state(stateDir);
  assert.equal(s.sync.result, "kept");
  assert.equal(s.sync.commit, c1);
  assert.match(s.sync.reason, /fetch from .* failed/);
  const status = await runCm(["status", "--state-dir", stateDir]);
  assert.match(status.stdout, /last sync: .*: kept/);
  assert.match(status.stdout, /reason: +fetch from/);

  const c2 = await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "second");
  await daemon.restart();
  r = await sync(url, stateDir, [], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(target), "v2\n");
  s = await state(stateDir);
  assert.equal(s.sync.commit, c2);
  assert.equal(s.sync.result, "applied");
  assert.equal(s.sync.reason, undefined);
});

Deno.test("a commit with a broken cookbook is rejected, the previous one kept, the live checkout untouched", async () => {
  await using tmp = await tempDir("cm-sync-");
  const remote = await Remote.create(`${tmp.path}/git`);
  const target = `${tmp.path}/motd`;
  const other = `${tmp.path}/other`;
  const stateDir = `${tmp.path}/state`;
  const env = await flagsOnly(tmp.path);
  const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "good");
  assert.equal((await sync(remote.fileUrl, stateDir, [], env)).code, 0);

  // Valid first resource, broken second: nothing of it may be applied.
  const broken = fileCookbook(target, "v2\n") +
    `    - path: ${other}\n      content: "x"\n      mode: "644x"\n`;
  const bad = await remote.commit({ "default.yaml": broken }, "broken mode");
  const r = await sync(remote.fileUrl, stateDir, [], env);
  assert.equal(r.code, 4, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`${bad.slice(0, 12)}:default.yaml:\\d+:\\d+: configure\\.files\\[1\\]\\.mode`),
  );
  assert.match(r.stderr, new RegExp(`rejected ${bad.slice(0, 12)}: cookbooks invalid`));
  assert.equal(await read(target), "v1\n");
  assert.equal(await read(other), null);
  assert.equal(await read(`${stateDir}/repo/default.yaml`), fileCookbook(target, "v1\n"));
  assert.equal(await sh(["git", "-C", `${stateDir}/repo`, "rev-parse", "HEAD"]), c1);
  const s = await state(stateDir);
  assert.equal(s.sync.result, "kept");
  assert.equal(s.sync.rejected, bad);
  assert.equal(s.sync.lastGood, c1);
  assert.equal(s.lastRun.commit, c1);
  // The next sync finds the branch still there: refused again, but not announced as new.
  const again = await sync(remote.fileUrl, stateDir, [], env);
  assert.equal(again.code, 4);
  assert.match(
    again.stderr,
    new RegExp(
      `^sync: commit ${bad.slice(0, 12)} "broken mode" \\(refused last time; checking it again\\)$`,
      "m",
    ),
  );
  assert.doesNotMatch(again.stderr, /new commit/);

  // The fix is applied.
  const c3 = await remote.commit({ "default.yaml": fileCookbook(target, "v3\n") }, "fixed");
  assert.equal((await sync(remote.fileUrl, stateDir, [], env)).code, 0);
  assert.equal(await read(target), "v3\n");
  assert.equal((await state(stateDir)).sync.commit, c3);
});

Deno.test("a commit with a requires cycle is refused like cm validate refuses it; last good kept", async () => {
  await using fx = await syncFixture();
  const { tmp, remote, target, stateDir, env } = fx;
  const other = `${tmp.path}/other`;
  const c1 = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "good");
  assert.equal((await sync(remote.fileUrl, stateDir, [], env)).code, 0);

  const cycle = `name: cycle\nconfigure:\n  files:\n    - path: ${target}\n      content: "v2"\n` +
    `      requires: ["file[${other}]"]\n    - path: ${other}\n      content: "x"\n` +
    `      requires: ["file[${target}]"]\n`;
  const bad = await remote.commit({ "default.yaml": cycle }, "cycle");
  const validate = await runCm(["validate", `${remote.work}/default.yaml`]);
  assert.equal(validate.code, 2, validate.stderr);
  for (let i = 0; i < 2; i++) {
    // Refused on every sync while the remote stays bad, the last good commit converged.
    await Deno.writeTextFile(target, "drifted\n");
    const r = await sync(remote.fileUrl, stateDir, [], env);
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `${
          bad.slice(0, 12)
        }:default.yaml:\\d+:\\d+: configure\\.files\\[0\\]\\.requires: requires cycle`,
      ),
    );
    assert.match(r.stderr, new RegExp(`rejected ${bad.slice(0, 12)}: cookbooks invalid`));
    assert.equal(await read(target), "v1\n");
    assert.equal(await read(other), null);
    assert.equal(await sh(["git", "-C", `${stateDir}/repo`, "rev-parse", "HEAD"]), c1);
    const s = await state(stateDir);
    assert.equal(s.sync.result, "kept");
    assert.equal(s.sync.rejected, bad);
    assert.equal(s.sync.lastGood, c1);
  }
});

Deno.test("a first commit that does not validate leaves nothing applied and exits 4", async () => {
  await using tmp = await tempDir("cm-sync-");
  const remote = await Remote.create(`${tmp.path}/git`);
  const stateDir = `${tmp.path}/state`;
  await remote.commit({ "default.yaml": "name: x\nconfigure:\n  filez: []\n" }, "typo");
  const r = await sync(remote.fileUrl, stateDir, [], await flagsOnly(tmp.path));
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /did you mean "files"/);
  assert.match(r.stderr, /no good commit to fall back to yet: nothing applied/);
  // The live work tree was never populated.
  assert.equal(await read(`${stateDir}/repo/default.yaml`), null);
});

Deno.test("force-pushed history is followed and local edits in the checkout are discarded and reported", async () => {
  await using fx = await syncFixture();
  const { remote, target, stateDir, env } = fx;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "first");
  await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "second");
  assert.equal((await sync(remote.fileUrl, stateDir, [], env)).code, 0);
  assert.equal(await read(target), "v2\n");

  // Someone edits the checkout by hand.
  await Deno.writeTextFile(`${stateDir}/repo/default.yaml`, fileCookbook(target, "hand edit\n"));
  await Deno.writeTextFile(`${stateDir}/repo/stray.txt`, "x");
  const rewritten = await remote.forcePushNewRoot({
    "default.yaml": fileCookbook(target, "rewritten\n"),
  }, "new root");
  const r = await sync(remote.fileUrl, stateDir, [], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /discarding 2 local edit\(s\)/);
  assert.match(r.stderr, /stray\.txt/);
  assert.equal(await read(target), "rewritten\n");
  assert.equal(await read(`${stateDir}/repo/stray.txt`), null);
  const s = await state(stateDir);
  assert.equal(s.sync.commit, rewritten);
  assert.equal(s.sync.discarded.length, 2);

  // Local edits on an unchanged commit are discarded too, and the cookbook from git applied.
  await Deno.writeTextFile(`${stateDir}/repo/default.yaml`, fileCookbook(target, "hand edit\n"));
  const again = await sync(remote.fileUrl, stateDir, [], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /discarding 1 local edit\(s\).*default\.yaml/);
  assert.equal(await read(target), "rewritten\n");
});

Deno.test("signed commits are applied; unsigned and wrongly signed ones are refused before checkout", async () => {
  await using fx = await syncFixture();
  const { tmp, remote, target, stateDir, env } = fx;
  for (const name of ["trusted", "stranger"]) {
    await sh([
      "ssh-keygen",
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      name,
      "-f",
      `${tmp.path}/${name}`,
    ]);
  }
  const pub = (await Deno.readTextFile(`${tmp.path}/trusted.pub`)).trim();
  const signers = `${tmp.path}/allowed_signers`;
  await Deno.writeTextFile(signers, `test@example.com ${pub}\n`);
  const verify = ["--verify-signatures", "--trusted-keys", signers];

  const good = await remote.commit({ "default.yaml": fileCookbook(target, "signed\n") }, "signed", {
    signingKey: `${tmp.path}/trusted`,
  });
  let r = await sync(remote.fileUrl, stateDir, verify, env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /new commit [0-9a-f]{12} \(was none\)\n/);
  assert.match(r.stderr, /signature of [0-9a-f]{12} verified \(test@example\.com\): "signed"/);
  assert.equal(await read(target), "signed\n");

  const unsigned = await remote.commit(
    { "default.yaml": fileCookbook(target, "unsigned\n") },
    "unsigned",
  );
  r = await sync(remote.fileUrl, stateDir, verify, env);
  assert.equal(r.code, 4, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`rejected ${unsigned.slice(0, 12)}: signature check failed: commit is not signed`),
  );
  assert.equal(await read(target), "signed\n");
  assert.equal(await read(`${stateDir}/repo/default.yaml`), fileCookbook(target, "signed\n"));

  const forged = await remote.commit(
    { "default.yaml": fileCookbook(target, "forged\n") },
    "forged",
    {
      signingKey: `${tmp.path}/stranger`,
    },
  );
  r = await sync(remote.fileUrl, stateDir, verify, env);
  assert.equal(r.code, 4, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`rejected ${forged.slice(0, 12)}: signature check failed: signature not trusted`),
  );
  assert.equal(await read(target), "signed\n");
  const s = await state(stateDir);
  assert.equal(s.sync.commit, good);
  assert.equal(s.sync.rejected, forged);
  assert.equal(s.sync.signatureFailures, 2);
  assert.match(
    (await runCm(["metrics", "--state-dir", stateDir])).stdout,
    /^cm_signature_failures_total 2$/m,
  );

  // Without verification the same commit is accepted: the refusal came from the check.
  r = await sync(remote.fileUrl, stateDir, [], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(target), "forged\n");
});

/** Control characters other than the line feed. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

Deno.test("commit subjects are printed only after verification, control characters stripped", async () => {
  await using fx = await syncFixture();
  const { tmp, remote, target, stateDir, env } = fx;
  const signers = `${tmp.path}/allowed_signers`;
  await Deno.writeTextFile(signers, "nobody@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA\n");
  const evil = "\x1b]0;owned\x07\x1b[31mEVIL\x1b[0m\rfake line\x9b2J";
  const unsigned = await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, evil);

  // Not verified: nothing of the commit's text is printed or recorded.
  let r = await sync(
    remote.fileUrl,
    stateDir,
    ["--verify-signatures", "--trusted-keys", signers],
    env,
  );
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, new RegExp(`rejected ${unsigned.slice(0, 12)}: signature check failed`));
  assert.ok(!r.stderr.includes("EVIL") && !r.stderr.includes("fake line"), r.stderr);
  assert.ok(!CONTROL.test(r.stderr), JSON.stringify(r.stderr));
  assert.ok(!JSON.stringify(await state(stateDir)).includes("EVIL"));

  // Trusted (no verification asked): the subject is shown, without its control characters.
  r = await sync(remote.fileUrl, stateDir, [], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /commit [0-9a-f]{12} "\]0;owned\[31mEVIL\[0mfake line2J"/);
  assert.ok(!CONTROL.test(r.stderr), JSON.stringify(r.stderr));
});

Deno.test("a credentials file readable by others is refused; a root-only token never shows up in state", async () => {
  await using fx = await syncFixture();
  const { tmp, remote, target, stateDir, env } = fx;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "first");
  const creds = `${tmp.path}/credentials`;
  const token = "s3cr3t-token-ABCDEF123456";
  await Deno.writeTextFile(creds, `${token}\n`, { mode: 0o644 });
  await Deno.chmod(creds, 0o644);

  let r = await sync(remote.fileUrl, stateDir, ["--credentials", creds], env);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /accessible by group or others \(mode 0644\); refusing to use it: chmod 600/,
  );
  assert.equal(await read(target), null);

  await Deno.chmod(creds, 0o600);
  r = await sync(remote.fileUrl, stateDir, ["--credentials", creds], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(target), "v1\n");
  assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));
  const files = (await sh(["grep", "-rl", "--", token, stateDir]).catch(() => "")).trim();
  assert.equal(files, "", `token found in ${files}`);
});

Deno.test("node configuration file: fields used, flags override, errors name file:line:col", async () => {
  await using tmp = await tempDir("cm-sync-");
  const remote = await Remote.create(`${tmp.path}/git`, "prod");
  const stateDir = `${tmp.path}/state`;
  const host = Deno.hostname().split(".")[0];
  await remote.commit({
    [`nodes/${host}.yaml`]: fileCookbook(`${tmp.path}/node`, "node\n"),
    "default.yaml": fileCookbook(`${tmp.path}/default`, "default\n"),
    "extra.yaml": fileCookbook(`${tmp.path}/extra`, "extra\n"),
  }, "first");
  const config = `${tmp.path}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `repo: ${remote.fileUrl}\nbranch: prod\ninterval: 5m\nsplay: 10\n`,
  );

  // nodes/<hostname>.yaml wins over default.yaml.
  let r = await runCm(["sync", "--once", "--state-dir", stateDir], { env: { CM_CONFIG: config } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(`${tmp.path}/node`), "node\n");
  assert.equal(await read(`${tmp.path}/default`), null);

  // --cookbook overrides the rule; --config overrides CM_CONFIG.
  r = await runCm([
    "sync",
    "--once",
    "--state-dir",
    stateDir,
    "--config",
    config,
    "--cookbook",
    "extra.yaml",
  ], {
    env: { CM_CONFIG: "/nonexistent.yaml" },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await read(`${tmp.path}/extra`), "extra\n");

  await Deno.writeTextFile(
    config,
    `repo: ${remote.fileUrl}\nbranch: prod\nintervall: 5m\nsplay: soon\n`,
  );
  r = await runCm(["sync", "--once", "--state-dir", stateDir, "--config", config]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`${config}:3:1: intervall: unknown field; did you mean "interval"\\?`),
  );
  assert.match(r.stderr, new RegExp(`${config}:4:8: splay: expected seconds`));
  assert.match(r.stderr, /cm: 2 problem\(s\) in the node configuration; nothing was applied/);
  assert.doesNotMatch(r.stderr, /in the cookbooks/);

  r = await runCm(["sync", "--once", "--state-dir", stateDir], {
    env: { CM_CONFIG: `${tmp.path}/missing.yaml` },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read node configuration/);
});

Deno.test("a password in the repo URL is refused (exit 2) before git ever sees it", async () => {
  await using tmp = await tempDir("cm-sync-");
  const stateDir = `${tmp.path}/state`;
  const url = "https://deploy:hunter2pw@127.0.0.1:9/ops/cookbooks.git";
  let r = await sync(url, stateDir, [], await flagsOnly(tmp.path));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--repo: .*password.*--credentials/);
  assert.ok(!r.stderr.includes("hunter2pw"), r.stderr);

  const config = `${tmp.path}/config.yaml`;
  await Deno.writeTextFile(config, `branch: main\nrepo: ${url}\n`);
  r = await runCm(["sync", "--once", "--state-dir", stateDir, "--config", config]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${config}:2:7: repo: .*password.*credentials:`));
  assert.ok(!r.stderr.includes("hunter2pw"), r.stderr);
  assert.equal(await read(`${stateDir}/repo/.git/config`), null);
});

Deno.test("sync shares the run lock with apply: a held lock makes it wait, then exit 3", async () => {
  await using tmp = await tempDir("cm-sync-");
  const remote = await Remote.create(`${tmp.path}/git`);
  const stateDir = `${tmp.path}/state`;
  await remote.commit({ "default.yaml": fileCookbook(`${tmp.path}/motd`, "v1\n") }, "first");
  using _lock = await acquireLock(`${stateDir}/lock`, 1000, "test holding the lock");
  const r = await sync(
    remote.fileUrl,
    stateDir,
    ["--lock-timeout", "0.3"],
    await flagsOnly(tmp.path),
  );
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /test holding the lock/);
  assert.equal(await read(`${tmp.path}/motd`), null);
});

/** PIDs of the processes whose command line names `text` (git and the timeout(1) around it). */
async function processesNaming(text: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.includes(text)) pids.push(Number(entry.name));
  }
  return pids;
}

Deno.test("a signal while cm sync fetches ends the fetch with cm: no git goes on in the checkout without the lock", async () => {
  await using fx = await syncFixture();
  // A git daemon that accepts and never answers: the fetch waits (git:// has no stall bound).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const url = `git://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/cookbooks.git`;
  const repo = `${fx.stateDir}/repo`;
  try {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const [bin, ...args] = cmCommand([
        "sync",
        "--once",
        "--repo",
        url,
        "--state-dir",
        fx.stateDir,
      ]);
      const child = new Deno.Command(bin, { args, env: fx.env, stdout: "null", stderr: "null" })
        .spawn();
      for (let i = 0; i < 400 && held.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.notEqual(held.length, 0, "git never connected");
      child.kill(signal);
      assert.equal((await child.status).signal, signal);
      let left = await processesNaming(repo);
      for (let i = 0; i < 40 && left.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        left = await processesNaming(repo);
      }
      assert.deepEqual(left, [], `${signal}: git still at work in ${repo}`);
      for (const conn of held.splice(0)) conn.close();
    }
  } finally {
    for (const pid of await processesNaming(repo)) Deno.kill(pid, "SIGKILL");
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

/**
 * A trusted signing key for `fx`'s remote: the sync flags that verify against it, and a
 * commit of `content` to default.yaml signed with it (dated `date` when given).
 */
async function signing(fx: Awaited<ReturnType<typeof syncFixture>>) {
  const { tmp, remote, target } = fx;
  await sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", `${tmp.path}/trusted`]);
  const pub = (await Deno.readTextFile(`${tmp.path}/trusted.pub`)).trim();
  const signers = `${tmp.path}/allowed_signers`;
  await Deno.writeTextFile(signers, `test@example.com ${pub}\n`);
  const verify = ["--verify-signatures", "--trusted-keys", signers];
  const signed = (content: string, date?: string) =>
    remote.commit({ "default.yaml": fileCookbook(target, content) }, content.trim(), {
      signingKey: `${tmp.path}/trusted`,
      ...(date ? { date } : {}),
    });
  return { verify, signed };
}

Deno.test("with signatures on, an older signed commit force-pushed back is refused as a downgrade", async () => {
  await using fx = await syncFixture();
  const { remote, target, stateDir, env } = fx;
  const { verify, signed } = await signing(fx);
  const old = await signed("vulnerable\n", "2026-01-01T00:00:00Z");
  assert.equal((await sync(remote.fileUrl, stateDir, verify, env)).code, 0);
  const fixed = await signed("fixed\n", "2026-02-01T00:00:00Z");
  assert.equal((await sync(remote.fileUrl, stateDir, verify, env)).code, 0);
  assert.equal(await read(target), "fixed\n");

  await remote.resetTo(old);
  const r = await sync(remote.fileUrl, stateDir, verify, env);
  assert.equal(r.code, 4, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `rejected ${old.slice(0, 12)}: commit ${old.slice(0, 12)} \\(committed ${
        humanTime("2026-01-01T00:00:00Z").replace("+", "\\+")
      }\\) is older than the last good commit ${fixed.slice(0, 12)} \\(committed ${
        humanTime("2026-02-01T00:00:00Z").replace("+", "\\+")
      }\\): refusing a downgrade`,
    ),
  );
  assert.equal(await read(target), "fixed\n");
  assert.equal((await state(stateDir)).sync.commit, fixed);

  // Going back the intended way, a new (revert) commit, is applied.
  await signed("vulnerable\n", "2026-03-01T00:00:00Z");
  assert.equal((await sync(remote.fileUrl, stateDir, verify, env)).code, 0);
  assert.equal(await read(target), "vulnerable\n");
});

Deno.test("with signatures on, a commit dated far ahead is refused: as the last good one it would block every later commit", async () => {
  await using fx = await syncFixture();
  const { remote, target, stateDir, env } = fx;
  const { verify, signed } = await signing(fx);
  await signed("v1\n");
  assert.equal((await sync(remote.fileUrl, stateDir, verify, env)).code, 0);
  // A committer whose clock is years ahead.
  const ahead = await signed("ahead\n", "2099-01-01T00:00:00Z");
  const r = await sync(remote.fileUrl, stateDir, verify, env);
  assert.equal(r.code, 4, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`rejected ${ahead.slice(0, 12)}: commit ${ahead.slice(0, 12)} is committed 2099-`),
  );
  assert.equal(await read(target), "v1\n");
  // The same change committed again with the clock right is applied.
  await signed("fixed clock\n");
  assert.equal((await sync(remote.fileUrl, stateDir, verify, env)).code, 0);
  assert.equal(await read(target), "fixed clock\n");
});

Deno.test("GPG: a commit signed by a key in the trusted keyring is applied, another key's is refused", async () => {
  await using fx = await syncFixture();
  const { tmp, remote, target, stateDir, env } = fx;
  const homes: Record<string, string> = {};
  for (const who of ["trusted", "stranger"]) {
    homes[who] = `${tmp.path}/gnupg-${who}`;
    await Deno.mkdir(homes[who], { mode: 0o700 });
    await sh(
      [
        "gpg",
        "--batch",
        "--quiet",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Test <test@example.com>",
        "ed25519",
        "sign",
        "never",
      ],
      undefined,
      { GNUPGHOME: homes[who] },
    );
  }
  const keyring = `${tmp.path}/trusted.asc`;
  await Deno.writeTextFile(
    keyring,
    await sh(["gpg", "--batch", "--armor", "--export"], undefined, { GNUPGHOME: homes.trusted }),
  );
  const verify = ["--verify-signatures", "--trusted-keys", keyring];
  try {
    await remote.commit({ "default.yaml": fileCookbook(target, "gpg\n") }, "gpg signed", {
      gpgHome: homes.trusted,
    });
    let r = await sync(remote.fileUrl, stateDir, verify, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /signature of [0-9a-f]{12} verified/);
    assert.equal(await read(target), "gpg\n");

    await remote.commit({ "default.yaml": fileCookbook(target, "other\n") }, "other key", {
      gpgHome: homes.stranger,
    });
    r = await sync(remote.fileUrl, stateDir, verify, env);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /signature check failed: signed by a key that is not trusted/);
    assert.equal(await read(target), "gpg\n");
  } finally {
    for (const home of Object.values(homes)) {
      await new Deno.Command("gpgconf", { args: ["--kill", "all"], env: { GNUPGHOME: home } })
        .output();
    }
  }
});

Deno.test("sync --check --detailed-exitcodes: 2 when the sync would change something, 0 when not; sync exits the same way", async () => {
  await using fx = await syncFixture();
  const { remote, target, stateDir, env } = fx;
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "first");
  const detailed = ["--detailed-exitcodes"];

  let r = await sync(remote.fileUrl, stateDir, ["--check", ...detailed], env);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /^would +file\[.*motd\]: state: absent → present/m);
  assert.match(r.stderr, /--check: nothing was changed or recorded/);
  assert.equal(await read(target), null);
  assert.equal(await read(`${stateDir}/state.json`), null);

  r = await sync(remote.fileUrl, stateDir, detailed, env);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(await read(target), "v1\n");
  r = await sync(remote.fileUrl, stateDir, detailed, env);
  assert.equal(r.code, 0, r.stderr);

  // Allowed while cm is disabled: it changes nothing.
  assert.equal((await runCm(["disable", "--state-dir", stateDir, "hands off"], { env })).code, 0);
  await Deno.writeTextFile(target, "drifted\n");
  r = await sync(remote.fileUrl, stateDir, ["--check", "--diff", ...detailed], env);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /-drifted\n.*\+v1/s);
  assert.equal(await read(target), "drifted\n");
  r = await sync(remote.fileUrl, stateDir, detailed, env);
  assert.equal(r.code, 7, r.stderr);
});
