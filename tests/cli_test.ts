/**
 * cm as a process, under the shipped permission flags: exit codes, output,
 * idempotence, run reports, the run lock.
 */
import assert from "node:assert/strict";
import { runCm, tempDir, TEST_ENV } from "./harness.ts";
import { cmCommand } from "../scripts/cm_command.ts";

function cookbook(root: string, extra = ""): string {
  return `name: cli-test
vars:
  root: ${root}
configure:
  directories:
    - path: "{{ root }}/etc"
      mode: "0755"
  files:
    - path: "{{ root }}/etc/app.conf"
      content: |
        port = 8080
      mode: "0640"
${extra}`;
}

async function setup(dir: string, extra = ""): Promise<{ book: string; state: string }> {
  const book = `${dir}/book.yaml`;
  await Deno.writeTextFile(book, cookbook(`${dir}/root`, extra));
  return { book, state: `${dir}/state` };
}

Deno.test("apply converges, a second apply changes nothing, and both are recorded", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const first = await runCm(["apply", "--state-dir", state, book]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /changed +directory\[.*\/root\/etc\]/);
  assert.match(first.stdout, /changed +file\[.*\/root\/etc\/app\.conf\]: state: absent → present/);
  assert.match(first.stdout, /apply: 2 changed, 0 unchanged, 0 failed, 0 skipped/);
  assert.equal(await Deno.readTextFile(`${dir.path}/root/etc/app.conf`), "port = 8080\n");
  assert.equal((await Deno.stat(`${dir.path}/root/etc/app.conf`)).mode! & 0o777, 0o640);

  const second = await runCm(["apply", "--state-dir", state, book]);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /^apply: 0 changed, 2 unchanged/);

  const history = await runCm(["history", "--state-dir", state]);
  const lines = history.stdout.trim().split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^ID +STARTED +RESULT +RESOURCES +DURATION +COMMIT +COOKBOOKS$/);
  assert.match(
    lines[1],
    /^\S+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} +ok +2 changed, 0 failed, 0 unchanged +\d+\.\d\d s +- +\//,
  );
  const id = lines[1].split(/\s+/)[0];
  const shown = await runCm(["show-run", "--state-dir", state, id]);
  assert.equal(shown.code, 0);
  assert.match(shown.stdout, new RegExp(`run ${id}: apply, ok`));
  assert.match(
    shown.stdout,
    /changed +file\[.*app\.conf\]: state: absent → present, content: none → 12 B, 1 line, mode: none → 0640/,
  );
  const saved = JSON.parse(await Deno.readTextFile(`${state}/state.json`));
  assert.match(saved.resources[`file[${dir.path}/root/etc/app.conf]`].sha256, /^[0-9a-f]{64}$/);
});

Deno.test("a validate command's multi-line refusal is printed as written, in apply and show-run", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(
    dir.path,
    `    - path: "{{ root }}/etc/checked.conf"
      content: "x"
      validate: sh -c 'echo "[emerg] unknown directive" >&2; echo "test failed" >&2; exit 1' v %s
`,
  );
  const applied = await runCm(["apply", "--state-dir", state, book]);
  assert.equal(applied.code, 1, applied.stderr);
  const lines = applied.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("failed    file["));
  assert.match(
    lines[at],
    /checked\.conf\] at \S+: validate refused the new content: .* exited 1: \[emerg\] unknown directive$/,
  );
  assert.equal(lines[at + 1], "    test failed");
  const id = JSON.parse((await runCm(["history", "--json", "--state-dir", state])).stdout)[0].id;
  const shown = (await runCm(["show-run", "--state-dir", state, id])).stdout.split("\n");
  const row = shown.findIndex((l) => l.startsWith("failed    file["));
  assert.match(shown[row], /exited 1: \[emerg\] unknown directive  \[[\d.]+ ms\]$/);
  assert.equal(shown[row + 1], "    test failed");
});

Deno.test("--detailed-exitcodes: 2 when changes were applied, 0 when none, 4 on failure, 6 on both", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  assert.equal((await runCm(["plan", "--detailed-exitcodes", "--state-dir", state, book])).code, 2);
  assert.equal(
    (await runCm(["apply", "--detailed-exitcodes", "--state-dir", state, book])).code,
    2,
  );
  assert.equal(
    (await runCm(["apply", "--detailed-exitcodes", "--state-dir", state, book])).code,
    0,
  );
  assert.equal((await runCm(["plan", "--detailed-exitcodes", "--state-dir", state, book])).code, 0);
  const failing = `${dir.path}/failing.yaml`;
  await Deno.writeTextFile(
    failing,
    cookbook(`${dir.path}/root2`, `install:\n  post_install:\n    - command: [/bin/false]\n`),
  );
  assert.equal(
    (await runCm(["apply", "--detailed-exitcodes", "--state-dir", state, failing])).code,
    6,
  );
  assert.equal(
    (await runCm(["apply", "--detailed-exitcodes", "--state-dir", state, failing])).code,
    4,
  );
  const plain = await runCm(["apply", "--state-dir", state, failing]);
  assert.equal(plain.code, 1);
  assert.match(plain.stdout, /failed +command\[\/bin\/false\] at \S+:\d+:\d+: exited 1/);
});

Deno.test("a cookbook error exits 2 (1 with --detailed-exitcodes) and changes nothing", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(
    dir.path,
    `  services:\n    - name: nginx\n      enabled: "yes"\n`,
  );
  const result = await runCm(["apply", "--state-dir", state, book]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /book\.yaml:15:16: configure\.services\[0\]\.enabled: expected true or false, got "yes"/,
  );
  assert.match(result.stderr, /nothing was applied/);
  await assert.rejects(Deno.stat(`${dir.path}/root`));
  await assert.rejects(Deno.stat(state));
  assert.equal(
    (await runCm(["apply", "--detailed-exitcodes", "--state-dir", state, book])).code,
    1,
  );
});

Deno.test("plan lists what would change and writes nothing, not even state", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const result = await runCm(["plan", "--state-dir", state, book]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /would +directory\[/);
  assert.match(result.stdout, /would +file\[.*app\.conf\]/);
  assert.match(result.stdout, /plan: 2 to change, 0 unchanged/);
  await assert.rejects(Deno.stat(`${dir.path}/root`));
  await assert.rejects(Deno.stat(state));
  const check = await runCm(["apply", "--check", "--state-dir", state, book]);
  const timeless = (out: string) => out.replace(/ in \d+\.\d+ s$/m, "");
  assert.equal(timeless(check.stdout), timeless(result.stdout));
});

Deno.test("plan predicts a file whose parent directory nothing creates as a failure", async () => {
  await using dir = await tempDir();
  const book = `${dir.path}/book.yaml`;
  await Deno.writeTextFile(
    book,
    `configure:\n  files:\n    - path: ${dir.path}/nowhere/app.conf\n      content: "x"\n`,
  );
  const result = await runCm([
    "plan",
    "--detailed-exitcodes",
    "--state-dir",
    `${dir.path}/s`,
    book,
  ]);
  assert.equal(result.code, 4, result.stderr);
  assert.match(
    result.stdout,
    /^will fail file\[.*\/nowhere\/app\.conf\] at \S+: parent directory ".*\/nowhere" does not exist and no directory resource creates it$/m,
  );
  assert.match(result.stdout, /^plan: 0 to change, 0 unchanged, 1 failed/m);
});

Deno.test("a directory with state: absent: plan fails on a tree without force, apply with force removes it, rollback brings it back", async () => {
  await using dir = await tempDir();
  const old = `${dir.path}/old`;
  await Deno.mkdir(`${old}/conf.d`, { recursive: true });
  await Deno.writeTextFile(`${old}/conf.d/app.conf`, "port = 80\n");
  const book = `${dir.path}/book.yaml`;
  const state = `${dir.path}/state`;
  const write = (force: string) =>
    Deno.writeTextFile(
      book,
      `configure:\n  directories:\n    - path: ${old}\n      state: absent\n${force}`,
    );
  await write("");
  const plan = await runCm(["plan", "--detailed-exitcodes", "--state-dir", state, book]);
  assert.equal(plan.code, 4, plan.stderr);
  assert.match(
    plan.stdout,
    /^will fail directory\[.*\/old\] at \S+book\.yaml:3:7: force: ".*\/old" holds 1 file and 1 directory \(10 B\): set force: true to remove it with everything in it$/m,
  );
  await write("      force: true\n");
  const apply = await runCm(["apply", "--state-dir", state, book]);
  assert.equal(apply.code, 0, apply.stderr);
  await assert.rejects(Deno.stat(old));
  const back = await runCm(["rollback", "--state-dir", state]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(await Deno.readTextFile(`${old}/conf.d/app.conf`), "port = 80\n");
});

Deno.test("a resource dropped from the cookbook is reported once as unmanaged and left alone", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);
  await Deno.writeTextFile(
    book,
    `configure:\n  directories:\n    - path: ${dir.path}/root/etc\n      mode: "0755"\n`,
  );
  const planned = await runCm(["plan", "--state-dir", state, book]);
  assert.match(planned.stdout, /^unmanaged file\[.*\/app\.conf\]/m);
  const first = await runCm(["apply", "--state-dir", state, book]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /^unmanaged file\[.*\/app\.conf\]: no longer in the cookbooks; left as it is$/m,
  );
  assert.equal(await Deno.readTextFile(`${dir.path}/root/etc/app.conf`), "port = 8080\n");
  const again = await runCm(["apply", "--state-dir", state, book]);
  assert.doesNotMatch(again.stdout, /unmanaged/);
});

Deno.test("cookbooks applied one after another by hand each stay managed: no unmanaged, drift sees both", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const other = `${dir.path}/other.yaml`;
  await Deno.writeTextFile(
    other,
    `configure:\n  files:\n    - path: ${dir.path}/root/etc/other.conf\n      content: "x"\n`,
  );
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);
  const second = await runCm(["apply", "--state-dir", state, other]);
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /unmanaged/);
  assert.doesNotMatch((await runCm(["apply", "--state-dir", state, book])).stdout, /unmanaged/);
  // Drift covers what both applied: a hand edit to either cookbook's file is found.
  await Deno.writeTextFile(`${dir.path}/root/etc/other.conf`, "edited");
  await Deno.writeTextFile(`${dir.path}/root/etc/app.conf`, "edited");
  const drift = await runCm(["drift", "--state-dir", state, "--json"]);
  assert.equal(drift.code, 5, drift.stderr);
  const found = JSON.parse(drift.stdout);
  assert.deepEqual(found.cookbooks, [other, book]);
  assert.deepEqual(found.drifted.map((r: { id: string }) => r.id).sort(), [
    `file[${dir.path}/root/etc/app.conf]`,
    `file[${dir.path}/root/etc/other.conf]`,
  ]);
  // A cookbook removed from disk is no longer checked.
  await Deno.remove(other);
  const left = JSON.parse((await runCm(["drift", "--state-dir", state, "--json"])).stdout);
  assert.deepEqual(left.cookbooks, [book]);
});

Deno.test("under the journal (JOURNAL_STREAM names stdout) failures carry sd-daemon's <3> prefix", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(
    dir.path,
    `install:\n  post_install:\n    - command: [/bin/false]\n`,
  );
  const argv = cmCommand(["apply", "--state-dir", state, book]);
  // The shell names its own stdout (the pipe) as the journal stream, as systemd would.
  const script = 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1) exec "$@"';
  const out = await new Deno.Command("sh", { args: ["-c", script, "sh", ...argv], env: TEST_ENV })
    .output();
  const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
  assert.equal(out.code, 1);
  assert.ok(
    lines.some((l) => /^<3>failed +command\[\/bin\/false\] at \S+: exited 1/.test(l)),
    lines.join("\n"),
  );
  assert.ok(lines.some((l) => /^changed +file\[/.test(l)), lines.join("\n"));
  assert.match(lines.at(-1)!, /^<3>apply: 2 changed, 0 unchanged, 1 failed/);
  // An error that stops cm, on stderr (here the same journal stream): err priority too.
  const missing = cmCommand(["apply", "--state-dir", state, `${dir.path}/missing.yaml`]);
  const stopped = await new Deno.Command("sh", {
    args: ["-c", `${script} 2>&1`, "sh", ...missing],
    env: TEST_ENV,
  }).output();
  assert.equal(stopped.code, 2);
  assert.match(
    new TextDecoder().decode(stopped.stdout),
    /^<3>cm: 1 problem\(s\) in the cookbooks/m,
  );
  // Redirected elsewhere (a plain pipe, no JOURNAL_STREAM match): no prefixes.
  const plain = await runCm(["apply", "--state-dir", state, book], {
    env: { JOURNAL_STREAM: "1:1" },
  });
  assert.doesNotMatch(plain.stdout, /^<\d>/m);
});

Deno.test("--diff shows a unified diff of file content", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  await runCm(["apply", "--state-dir", state, book]);
  await Deno.writeTextFile(`${dir.path}/root/etc/app.conf`, "port = 9090\n");
  const result = await runCm(["plan", "--diff", book]);
  assert.match(result.stdout, /^ +-port = 9090$/m);
  assert.match(result.stdout, /^ +\+port = 8080$/m);
});

Deno.test("--json prints the whole run report on stdout and nothing else", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const result = await runCm(["apply", "--json", "--state-dir", state, book]);
  const report = JSON.parse(result.stdout);
  assert.equal(report.mode, "apply");
  assert.deepEqual(report.totals, { changed: 2, unchanged: 0, failed: 0, skipped: 0 });
  assert.deepEqual(report.resources.map((r: { status: string }) => r.status), [
    "changed",
    "changed",
  ]);
});

Deno.test("CM_STATE_DIR moves the state like --state-dir", async () => {
  await using dir = await tempDir();
  const { book } = await setup(dir.path);
  const result = await runCm(["apply", book], { env: { CM_STATE_DIR: `${dir.path}/env-state` } });
  assert.equal(result.code, 0, result.stderr);
  await Deno.stat(`${dir.path}/env-state/state.json`);
});

Deno.test("a second concurrent apply waits for the lock, then exits 3 naming the holder's PID", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(
    dir.path,
    `install:\n  pre_install:\n    - command: [/bin/sleep, "3"]\n`,
  );
  const first = runCm(["apply", "--state-dir", state, book]);
  // Wait until the first run holds the lock (its PID is in the lock file).
  for (let i = 0; i < 100; i++) {
    const text = await Deno.readTextFile(`${state}/lock`).catch(() => "");
    if (text.includes("pid")) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const second = await runCm(["apply", "--lock-timeout", "0.5", "--state-dir", state, book]);
  assert.equal(second.code, 3);
  assert.match(second.stderr, /another cm run holds the lock .*\(PID \d+, cm apply, since /);
  assert.match(second.stderr, /^waiting for the run lock held by PID \d+ \(cm apply, since /m);
  assert.equal((await first).code, 0);
});

Deno.test("--version, --help for every subcommand, and usage errors", async () => {
  const version = await runCm(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+ \(from source, deno \d+\.\d+\.\d+\)\n$/);
  const subs = [
    "",
    "apply",
    "plan",
    "validate",
    "history",
    "show-run",
    "drift",
    "metrics",
    "watch",
  ];
  for (const sub of subs) {
    const help = await runCm([sub, "--help"].filter(Boolean));
    assert.equal(help.code, 0, sub);
    assert.match(help.stdout, /Examples:\n +\$ cm /, sub);
  }
  const unknown = await runCm(["apply", "--no-such-flag", "x.yaml"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--no-such-flag'/);
  const missing = await runCm(["show-run", "--state-dir", "/nonexistent", "nope"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no run "nope"/);
});

Deno.test("a missing cookbook file, or a directory, is a cookbook error naming it (no line:col)", async () => {
  const result = await runCm(["validate", "/nonexistent/book.yaml"]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /^\/nonexistent\/book\.yaml: cookbook "\/nonexistent\/book\.yaml" not found$/m,
  );
  await using dir = await tempDir();
  const directory = await runCm(["validate", dir.path]);
  assert.equal(directory.code, 2);
  assert.equal(
    directory.stderr.split("\n")[0],
    `${dir.path}: "${dir.path}" is a directory, expected a file`,
  );
});

Deno.test("an unreadable state file is kept aside with a warning; the run is still recorded", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  await runCm(["apply", "--state-dir", state, book]);
  await Deno.writeTextFile(`${state}/state.json`, '{"version": 1, "resou');
  await Deno.writeTextFile(`${state}/runs/29990101T000000Z-1.json`, "garbage");
  await Deno.writeTextFile(`${dir.path}/root/etc/app.conf`, "drift\n");
  const result = await runCm(["apply", "--state-dir", state, book]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /warning: state file .*state\.json is not valid JSON.*; kept it as .*state\.json\.corrupt-\S+ and started a new state file/,
  );
  const saved = JSON.parse(await Deno.readTextFile(`${state}/state.json`));
  assert.equal(saved.lastRun.result, "ok");
  const history = await runCm(["history", "--state-dir", state]);
  assert.equal(history.code, 0);
  assert.match(
    history.stderr,
    /warning: skipping run report .*29990101T000000Z-1\.json is not valid JSON/,
  );
  assert.equal(history.stdout.trim().split("\n").length, 3, "header and two runs");
  const status = await runCm(["status", "--state-dir", state]);
  assert.equal(status.code, 0, status.stderr);
});

Deno.test("cm status names a run killed while it changed the machine until the next run records it", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);
  // What a SIGKILL leaves: the holder's line in the lock, the flock gone with the process.
  const run = "20261202T070000Z-4242";
  const dead = { pid: 4242, command: "cm apply", since: "2026-12-02T07:00:00.000Z", run };
  await Deno.writeTextFile(`${state}/lock`, JSON.stringify(dead) + "\n");
  const status = await runCm(["status", "--state-dir", state]);
  assert.equal(status.code, 1, status.stdout);
  assert.match(
    status.stdout,
    new RegExp(
      `^killed: +run ${run} \\(cm apply, PID 4242, since .*\\) was killed while it changed the machine`,
      "m",
    ),
  );
  const json = JSON.parse((await runCm(["status", "--json", "--state-dir", state])).stdout);
  assert.deepEqual(json.killed, dead);
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);
  const after = await runCm(["status", "--state-dir", state]);
  assert.equal(after.code, 0, after.stdout);
  assert.doesNotMatch(after.stdout, /killed/);
});

Deno.test("usage errors exit 1 under --detailed-exitcodes, like cookbook errors", async () => {
  assert.equal((await runCm(["apply", "--detailed-exitcodes", "--bogus", "x.yaml"])).code, 1);
  assert.equal((await runCm(["apply", "--detailed-exitcodes"])).code, 1);
  assert.equal((await runCm(["history", "-n", "0"])).code, 2);
});

Deno.test("SIGTERM stops an apply after the resource at work, runs nothing more, and records the run", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(
    dir.path,
    `install:\n  pre_install:\n    - command: [/bin/sleep, "1.7"]\n      name: slow\n`,
  );
  const [bin, ...args] = cmCommand(["apply", "--state-dir", state, book]);
  const child = new Deno.Command(bin, { args, stdout: "piped", stderr: "piped", env: TEST_ENV })
    .spawn();
  // Signal while the slow command runs (it is the only "sleep 1.7" on the machine).
  for (let i = 0; i < 200; i++) {
    const found = await new Deno.Command("pgrep", { args: ["-fx", "/bin/sleep 1.7"] }).output();
    if (found.code === 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGTERM");
  const { code, stdout, stderr } = await child.output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 143, err);
  assert.match(err, /cm: SIGTERM: stopping after the resource at work/);
  assert.match(new TextDecoder().decode(stdout), /: interrupted$/m);
  await assert.rejects(Deno.stat(`${dir.path}/root`), Deno.errors.NotFound);
  const report = JSON.parse(
    (await runCm(["show-run", "--json", "--state-dir", state, "2"])).stdout,
  );
  assert.equal(report.result, "interrupted");
  assert.deepEqual(report.resources.map((r: { status: string }) => r.status), [
    "changed",
    "skipped",
    "skipped",
  ]);
  assert.equal(report.resources[1].error, "interrupted by SIGTERM");
});

Deno.test("a reader that closes the pipe early (cm ... | head -1) neither stops the run nor makes it a bug", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const closedEarly = async (cmArgs: string[]) => {
    const [bin, ...args] = cmCommand(cmArgs);
    const child = new Deno.Command(bin, { args, stdout: "piped", stderr: "piped", env: TEST_ENV })
      .spawn();
    await child.stdout.cancel();
    const { code, stderr } = await child.output();
    return { code, stderr: new TextDecoder().decode(stderr) };
  };
  assert.deepEqual(await closedEarly(["apply", "--state-dir", state, book]), {
    code: 0,
    stderr: "",
  });
  assert.equal(await Deno.readTextFile(`${dir.path}/root/etc/app.conf`), "port = 8080\n");
  assert.deepEqual(await closedEarly(["history", "--state-dir", state]), { code: 0, stderr: "" });
  const history = await runCm(["history", "--state-dir", state]);
  assert.match(history.stdout, /ok +2 changed, 0 failed, 0 unchanged/);
});

Deno.test("deno task cm resolves a relative cookbook path against the directory it was typed in", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/t.yaml`, `configure:\n  files:\n    - path: /tmp/x\n`);
  const config = new URL("../deno.json", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "-c", config, "cm", "validate", "t.yaml"],
    cwd: dir.path,
    // As typed in a shell: no INIT_CWD of an outer `deno task test` to inherit.
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/root" },
  }).output();
  const d = new TextDecoder();
  assert.equal(out.code, 0, d.decode(out.stderr));
  assert.equal(d.decode(out.stdout), `${dir.path}/t.yaml: valid, 1 resource\n`);
});

Deno.test("main.ts run without cm's permission flags says how to run cm, exit 2", async () => {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", main, "validate", "/nonexistent.yaml"],
    cwd: new URL("..", import.meta.url).pathname,
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, stderr);
  assert.match(
    stderr,
    /^cm: deno was started without cm's permission flags \(Requires .*\): run `deno task cm \.\.\.` in the checkout, or the binary \(deno task compile builds dist\/cm\)\n$/,
  );
});

Deno.test("apply and plan use the node configuration's vars_file, as cm sync does, unless given --vars-file", async () => {
  await using dir = await tempDir();
  const book = `${dir.path}/book.yaml`;
  const target = `${dir.path}/app.env`;
  Deno.writeTextFileSync(
    book,
    `vars: {token: unset}\nconfigure:\n  files:\n    - path: ${target}\n      content: "TOKEN={{ token }}\\n"\n`,
  );
  Deno.writeTextFileSync(`${dir.path}/vars.yaml`, "vars: {token: from-the-node}\n", {
    mode: 0o600,
  });
  Deno.writeTextFileSync(`${dir.path}/other.yaml`, "vars: {token: given}\n", { mode: 0o600 });
  Deno.writeTextFileSync(`${dir.path}/config.yaml`, `vars_file: ${dir.path}/vars.yaml\n`);
  const env = { CM_CONFIG: `${dir.path}/config.yaml` };
  const state = ["--state-dir", `${dir.path}/state`];
  const plan = await runCm(["plan", "--diff", ...state, book], { env });
  assert.match(plan.stdout, /\+TOKEN=\*\*\*/);
  const apply = await runCm(["apply", ...state, book], { env });
  assert.equal(apply.code, 0, apply.stderr);
  assert.equal(Deno.readTextFileSync(target), "TOKEN=from-the-node\n");
  // --vars-file wins over the node configuration's.
  await runCm(["apply", ...state, "--vars-file", `${dir.path}/other.yaml`, book], { env });
  assert.equal(Deno.readTextFileSync(target), "TOKEN=given\n");
  // Parsed once more and cached, now that the first apply made the state directory.
  assert.ok(Deno.statSync(`${dir.path}/state/node_config.json`).isFile);
});

Deno.test("a vars file cm may not read (/proc/self/environ) is named as such, not as missing", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const refused = await runCm([
    "plan",
    "--state-dir",
    state,
    "--vars-file",
    "/proc/self/environ",
    book,
  ]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /vars file: cannot read "\/proc\/self\/environ": outside the paths cm may read\n/,
  );
});

Deno.test("history --resource finds the runs that changed a file and show-run prints their recorded diffs, masked", async () => {
  await using dir = await tempDir();
  const book = `${dir.path}/book.yaml`;
  const conf = `${dir.path}/app.conf`;
  const write = (port: number) =>
    Deno.writeTextFileSync(
      book,
      `configure:\n  files:\n    - path: ${conf}\n      content: "port = ${port}\\ntoken = {{ token }}\\n"\n` +
        `    - path: ${dir.path}/key\n      content: "k${port}"\n      sensitive: true\n`,
    );
  Deno.writeTextFileSync(`${dir.path}/vars.yaml`, "vars: {token: S3CR3T-VALUE}\n", { mode: 0o600 });
  const apply = [
    "apply",
    "--state-dir",
    `${dir.path}/state`,
    "--vars-file",
    `${dir.path}/vars.yaml`,
  ];
  write(80);
  assert.equal((await runCm([...apply, book])).code, 0);
  assert.equal((await runCm([...apply, book])).code, 0);
  write(8080);
  assert.equal((await runCm([...apply, book])).code, 0);

  const state = ["--state-dir", `${dir.path}/state`];
  const listed = await runCm(["history", ...state, "--resource", `file:${conf}`]);
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 5, listed.stdout);
  assert.match(lines[2], /^ +changed: state: absent → present, content: none → /);
  assert.match(lines[4], /^ +changed: content: 31 B, 2 lines → 33 B, 2 lines$/);
  const id = lines[3].split(" ")[0];
  const shown = await runCm(["show-run", ...state, id]);
  assert.match(
    shown.stdout,
    new RegExp(`^    --- ${conf}\\n    \\+\\+\\+ ${conf} \\(cookbook\\)\\n`, "m"),
  );
  assert.match(shown.stdout, /^ {4}-port = 80\n {4}\+port = 8080\n {5}token = \*\*\*$/m);
  assert.match(shown.stdout, /key\].*\n {4}\(sensitive content changed\)\n/);
  assert.equal(shown.stdout.includes("S3CR3T"), false);
  const help = await runCm(["history", "--help"]);
  assert.match(help.stdout, /--resource <id>/);
});

Deno.test("cm rollback prints what it restored, then the health checks that ran after, then the closing line", async () => {
  await using dir = await tempDir();
  const book = `${dir.path}/book.yaml`;
  const state = `${dir.path}/state`;
  await Deno.writeTextFile(
    book,
    `configure:\n  files:\n    - path: ${dir.path}/motd\n      content: "hi\\n"\n` +
      `health:\n  - command: ["true"]\n    name: still-up\n`,
  );
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);
  const back = await runCm(["rollback", "--state-dir", state]);
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(
    back.stdout.trimEnd().split("\n").map((l) => l.split(/[: ]+/)[0]),
    ["restored", "healthy", "rolled"],
    back.stdout,
  );
  // cm status tells the run was rolled back, not only that it applied ok.
  const status = await runCm(["status", "--state-dir", state]);
  assert.match(status.stdout, /^rolled back: +run \S+ by hand \(cm rollback\) at .*: ok$/m);
  const json = JSON.parse((await runCm(["status", "--json", "--state-dir", state])).stdout);
  assert.equal(json.lastRollback.runId, json.lastRun.id);
  assert.deepEqual([json.lastRollback.ok, json.lastRollback.byHand], [true, true]);
});

Deno.test("two cookbooks applied by hand that declare one file differently: each apply warns that the other changes it back", async () => {
  await using dir = await tempDir();
  const state = `${dir.path}/state`;
  const book = async (name: string, content: string) => {
    const path = `${dir.path}/${name}.yaml`;
    await Deno.writeTextFile(
      path,
      `configure:\n  files:\n    - path: ${dir.path}/x\n      content: ${content}\n`,
    );
    return path;
  };
  const a = await book("a", "one");
  const b = await book("b", "two");
  const first = await runCm(["apply", "--state-dir", state, a]);
  assert.doesNotMatch(first.stderr, /declared differently/);
  const second = await runCm(["apply", "--state-dir", state, b]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(
    second.stderr,
    /^warning: file\[\S+\/x\] is declared differently by \S+\/a\.yaml, applied earlier: .*changes it back, and cm drift, cm health and cm watch refuse/m,
  );
  const back = await runCm(["apply", "--state-dir", state, a]);
  assert.match(back.stderr, /^warning: file\[\S+\/x\] is declared differently by \S+\/b\.yaml/m);
  await book("b", "one");
  const agreed = await runCm(["apply", "--state-dir", state, b]);
  assert.doesNotMatch(agreed.stderr, /declared differently/);
});
