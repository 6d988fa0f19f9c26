import assert from "node:assert/strict";
import { RealExecutor } from "../src/exec/real.ts";
import { RecordingExecutor } from "../src/exec/recording.ts";
import type { Executor, ProcessOptions } from "../src/exec/executor.ts";
import { command, commandProblems, type CommandSpec } from "./command.ts";
import { splitCommand } from "../src/exec/argv.ts";
import { schema as commandSchema } from "./command_schema.ts";
import type { Change, Mode } from "./resource.ts";
import { testContext } from "./_testing.ts";

function spec(fields: Record<string, unknown>): CommandSpec {
  return commandSchema.parse(fields);
}

async function changesOf(
  s: CommandSpec,
  exec: Executor,
  mode: Mode,
  ctx = testContext(mode),
): Promise<Change[]> {
  const [state] = await command.read([s], exec, ctx);
  return command.diff(s, state);
}

/** Reads and applies in one run (one context), like the engine. */
async function converge(s: CommandSpec, exec: Executor) {
  const ctx = testContext();
  const changes = await changesOf(s, exec, "apply", ctx);
  const outcomes = changes.length ? await command.apply([{ spec: s, changes }], exec, ctx) : [];
  return { changes, outcome: outcomes[0] };
}

Deno.test("command id is its name, or else its text", () => {
  assert.equal(
    command.id(spec({ command: "apt-get update", name: "refresh" })),
    "command[refresh]",
  );
  assert.equal(
    command.id(spec({ command: "/usr/bin/apt-get update" })),
    "command[/usr/bin/apt-get update]",
  );
  assert.equal(command.id(spec({ command: ["echo", "a b"] })), "command[echo 'a b']");
});

Deno.test("command splits a string into argv without a shell", async () => {
  const exec = new RecordingExecutor();
  const { changes, outcome } = await converge(
    spec({ command: `/bin/systemctl enable "my unit"` }),
    exec,
  );
  assert.deepEqual(changes, [{
    field: "run",
    before: null,
    after: `/bin/systemctl enable "my unit"`,
    note: "runs every time: no guard",
    everyRun: true,
  }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [["/bin/systemctl", "enable", "my unit"]]);
});

Deno.test("command with sudo runs through sudo -n only when not root", async () => {
  const asRoot = new RecordingExecutor();
  await converge(spec({ command: "/usr/bin/apt-get update", sudo: true }), asRoot);
  assert.deepEqual(asRoot.calls, [["/usr/bin/apt-get", "update"]]);

  const asUser = new RecordingExecutor().on(["sudo", "-n", "--", "false"], { code: 1 });
  asUser.root = false;
  await converge(spec({ command: "/usr/bin/apt-get update", sudo: true, unless: "false" }), asUser);
  assert.deepEqual(asUser.calls, [
    ["sudo", "-n", "--", "false"],
    ["sudo", "-n", "--", "/usr/bin/apt-get", "update"],
  ]);

  const noSudo = new RecordingExecutor();
  noSudo.root = false;
  await converge(spec({ command: "id" }), noSudo);
  assert.deepEqual(noSudo.calls, [["id"]]);
});

Deno.test("command with shell: true runs /bin/sh -c with the text", async () => {
  const exec = new RecordingExecutor();
  const script = "curl -fsSL https://example.org/x | sh\n";
  await converge(spec({ command: script, shell: true, onlyif: "test -x /usr/bin/curl" }), exec);
  assert.deepEqual(exec.calls, [
    ["/bin/sh", "-c", "test -x /usr/bin/curl"],
    ["/bin/sh", "-c", script],
  ]);
});

Deno.test("command refuses shell syntax without shell: true, at load time and at apply", async () => {
  const s = spec({ command: "cat /etc/passwd | grep root" });
  assert.deepEqual(commandProblems(s), [{
    field: "command",
    message:
      `"|" needs a shell: use "shell: true" or quote it (command: "cat /etc/passwd | grep root")`,
  }]);
  const exec = new RecordingExecutor();
  const { outcome } = await converge(s, exec);
  assert.equal(outcome.ok, false);
  assert.match((outcome as { error: string }).error, /use "shell: true"/);
  assert.deepEqual(exec.calls, []);
  assert.ok(!Array.isArray(splitCommand("echo $HOME")));
});

Deno.test("command refuses an argv list with shell: true and reports bad guards", () => {
  assert.deepEqual(
    commandProblems(spec({ command: ["echo", "hi"], shell: true, unless: "test -f /x && true" })),
    [
      { field: "command", message: "expected a command string with shell: true, got a list" },
    ],
  );
  assert.deepEqual(
    commandProblems(spec({ command: "echo", unless: "test -f /x && true" })).map((p) => p.field),
    ["unless"],
  );
  assert.deepEqual(commandProblems(spec({ command: "echo", unless: ["test", "a&b"] })), []);
});

Deno.test("command with creates is skipped when the path exists, in plans too", async () => {
  const exec = new RecordingExecutor().put("/opt/app/installed", "");
  const s = spec({ command: "/opt/app/install.sh", creates: "/opt/app/installed" });
  assert.deepEqual(await changesOf(s, exec, "plan"), []);
  assert.deepEqual(await changesOf(s, exec, "apply"), []);
  assert.deepEqual(exec.calls, []);
  const missing = spec({ command: "/opt/app/install.sh", creates: "/opt/app/other" });
  assert.deepEqual(await changesOf(missing, exec, "plan"), [{
    field: "run",
    before: null,
    after: "/opt/app/install.sh",
    note: 'runs: "/opt/app/other" does not exist',
    guarded: true,
  }]);
});

Deno.test("command with unless is skipped when the guard exits 0", async () => {
  const exec = new RecordingExecutor().on(["dpkg-query"], { code: 0 });
  const s = spec({ command: "/usr/local/bin/setup", unless: "dpkg-query -W nginx" });
  const { changes } = await converge(s, exec);
  assert.deepEqual(changes, []);
  assert.deepEqual(exec.calls, [["dpkg-query", "-W", "nginx"]]);
});

Deno.test("command with unless runs when the guard fails, without running the guard twice", async () => {
  const exec = new RecordingExecutor().on(["dpkg-query"], { code: 1 });
  const s = spec({ command: "/usr/local/bin/setup", unless: "dpkg-query -W nginx" });
  const { changes, outcome } = await converge(s, exec);
  assert.equal(changes[0].note, "runs: `dpkg-query -W nginx` exited 1");
  // A guard decided it: drift only when the guard had been satisfied (src/state/drift.ts).
  assert.equal(changes[0].guarded, true);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [["dpkg-query", "-W", "nginx"], ["/usr/local/bin/setup"]]);
});

Deno.test("command guards are re-checked at apply: an earlier command may satisfy them", async () => {
  const exec = new RecordingExecutor();
  const first = spec({ command: "/bin/make-it" });
  const second = spec({ command: "/bin/make-it-again", creates: "/made" });
  const changed = new Set<string>();
  const run = { ...testContext(), changed };
  const states = await command.read([first, second], exec, run);
  const items = [first, second].map((s, i) => ({ spec: s, changes: command.diff(s, states[i]) }));
  assert.equal(items[1].changes.length, 1);
  exec.on(["/bin/make-it"], () => {
    exec.put("/made", "");
    return { code: 0 };
  });
  // As the engine does: one at a time, each change recorded before the next.
  assert.deepEqual(await command.apply([items[0]], exec, run), [{ ok: true }]);
  changed.add(command.id(first));
  assert.deepEqual(await command.apply([items[1]], exec, run), [
    { ok: true, unchanged: 'skipped: "/made" exists' },
  ]);
  assert.deepEqual(exec.calls, [["/bin/make-it"]]);
});

Deno.test("command read runs the guards of four commands at once and keeps their order", async () => {
  let running = 0;
  let most = 0;
  const exec = new RecordingExecutor();
  exec.runGuard = async (argv) => {
    most = Math.max(most, ++running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    return { code: Number(argv[1]), stdout: "", stderr: "" };
  };
  const codes = [0, 1, 0, 1, 1, 0, 0, 1, 0];
  const specs = codes.map((code, i) =>
    spec({ command: `/bin/step ${i}`, unless: ["exit", String(code)] })
  );
  const states = await command.read(specs, exec, testContext("apply"));
  assert.equal(most, 4);
  assert.deepEqual(states.map((s) => s.skip !== null), codes.map((code) => code === 0));
});

Deno.test("command with onlyif is skipped when the guard exits non-zero", async () => {
  const exec = new RecordingExecutor().on(["test"], { code: 1 });
  const { changes } = await converge(
    spec({ command: "systemctl reload nginx", onlyif: ["test", "-f", "/run/nginx.pid"] }),
    exec,
  );
  assert.deepEqual(changes, []);
  assert.deepEqual(exec.calls, [["test", "-f", "/run/nginx.pid"]]);
});

Deno.test("command plan runs unless and onlyif guards: a converged command plans clean", async () => {
  const exec = new RecordingExecutor().on(["test"], { code: 0 });
  const s = spec({ command: "/bin/setup", unless: "test -f /x" });
  assert.deepEqual(await changesOf(s, exec, "plan"), []);
  assert.deepEqual(exec.calls, [["test", "-f", "/x"]]);
});

Deno.test("command plan with plan_guards: false does not run the guards and says so", async () => {
  const exec = new RecordingExecutor();
  const s = spec({ command: "/bin/setup", unless: "test -f /x", plan_guards: false });
  assert.deepEqual(await changesOf(s, exec, "plan"), [{
    field: "run",
    before: null,
    after: "/bin/setup",
    note: "would run unless `test -f /x` succeeds: guard not run in plan",
    guarded: true,
  }]);
  const both = spec({
    command: "/bin/setup",
    unless: "test -f /x",
    onlyif: "test -d /y",
    plan_guards: false,
  });
  assert.equal(
    (await changesOf(both, exec, "plan"))[0].note,
    "would run unless `test -f /x` succeeds and if `test -d /y` succeeds: guards not run in plan",
  );
  assert.deepEqual(exec.calls, []);
});

Deno.test("command refuses readonly_guards and names the replacement", () => {
  const parsed = commandSchema.safeParse({ command: "/bin/setup", readonly_guards: true });
  assert.equal(parsed.success, false);
  assert.match(
    parsed.error!.issues[0].message,
    /readonly_guards was removed: .*plan_guards: false/,
  );
});

Deno.test("command passes cwd, env and timeout to the run, and streams output lines", async () => {
  let seen: ProcessOptions | undefined;
  const exec = new RecordingExecutor().on(["/bin/build"], (_argv, options) => {
    seen = options;
    options.onLine?.("step 1");
    return { code: 0 };
  });
  const s = spec({ command: "/bin/build", cwd: "/srv/app", env: { MODE: "prod" }, timeout: 1.5 });
  const ctx = testContext();
  const [outcome] = await command.apply([{ spec: s, changes: [] }], exec, ctx);
  assert.deepEqual(outcome, { ok: true });
  assert.equal(seen?.cwd, "/srv/app");
  assert.deepEqual(seen?.env, { MODE: "prod" });
  assert.equal(seen?.timeoutMs, 1500);
  assert.deepEqual(ctx.lines, ["step 1"]);
});

Deno.test("command failing reports the exit code and the last 20 lines of stderr", async () => {
  const stderr = Array.from({ length: 30 }, (_, i) => `err ${i + 1}`).join("\n") + "\n";
  const exec = new RecordingExecutor().on(["/bin/false"], { code: 2, stderr });
  const [outcome] = await command.apply(
    [{ spec: spec({ command: "/bin/false" }), changes: [] }],
    exec,
    testContext(),
  );
  const expected = Array.from({ length: 20 }, (_, i) => `err ${i + 11}`).join("\n");
  assert.deepEqual(outcome, { ok: false, error: `exited 2: (10 earlier lines cut)\n${expected}` });
});

Deno.test("command failing with an empty stderr reports stdout instead", async () => {
  const exec = new RecordingExecutor().on(["check"], { code: 1, stdout: "config bad\n" });
  const [outcome] = await command.apply(
    [{ spec: spec({ command: "check" }), changes: [] }],
    exec,
    testContext(),
  );
  assert.deepEqual(outcome, { ok: false, error: "exited 1: config bad" });
});

// ---- real processes ----

Deno.test("command really runs in its cwd with its env", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-command-test-" });
  try {
    const s = spec({
      command: `/bin/sh -c 'pwd > out; printf "%s" "$GREETING" >> out'`,
      cwd: dir,
      env: { GREETING: "hello" },
      creates: `${dir}/out`,
    });
    const exec = new RealExecutor();
    const { outcome } = await converge(s, exec);
    assert.deepEqual(outcome, { ok: true });
    assert.equal(Deno.readTextFileSync(`${dir}/out`), `${dir}\nhello`);
    assert.deepEqual(await changesOf(s, exec, "apply"), [], "creates now holds it back");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("command really killed by its timeout says it timed out", async () => {
  const started = Date.now();
  const [outcome] = await command.apply(
    [{ spec: spec({ command: "sleep 10", timeout: 0.3 }), changes: [] }],
    new RealExecutor(),
    testContext(),
  );
  assert.deepEqual(outcome, { ok: false, error: "timed out after 0.3 s" });
  assert.ok(Date.now() - started < 5000);
});

Deno.test("command really failing reports its stderr tail", async () => {
  const [outcome] = await command.apply(
    [{ spec: spec({ command: "echo 'not here' >&2; exit 3", shell: true }), changes: [] }],
    new RealExecutor(),
    testContext(),
  );
  assert.deepEqual(outcome, { ok: false, error: "exited 3: not here" });
});

Deno.test("a sensitive command shows neither its text, its guards nor its output", async () => {
  const exec = new RecordingExecutor()
    .on(["test"], { code: 1 })
    .on(["/usr/bin/set-password"], (_argv, options) => {
      options.onLine?.("setting hunter2");
      return { code: 1, stderr: "bad password hunter2\n" };
    });
  const s = spec({
    command: ["/usr/bin/set-password", "hunter2"],
    unless: ["test", "-f", "/etc/hunter2"],
    name: "db-password",
    sensitive: true,
  });
  const [state] = await command.read([s], exec, testContext());
  const changes = command.diff(s, state);
  assert.deepEqual(changes, [
    { field: "run", before: null, after: "(sensitive)", note: "sensitive: command not shown" },
  ]);
  const ctx = testContext();
  const [outcome] = await command.apply([{ spec: s, changes }], exec, ctx);
  assert.deepEqual(outcome, { ok: false, error: "exited 1: (output hidden: sensitive)" });
  assert.deepEqual(ctx.lines, []);
  assert.equal(command.id(s), "command[db-password]");
});

Deno.test("command check never quotes a sensitive command and refuses NUL bytes and bad env names", () => {
  const problems = command.check!(spec({
    name: "token",
    command: "curl -H 'token: hunter2",
    unless: ["test", "a\0b"],
    env: { "A=B": "x", "": "y", OK: "v\0" },
    sensitive: true,
  }));
  const text = JSON.stringify(problems);
  assert.ok(!text.includes("hunter2") && !text.includes("A=B"), text);
  assert.deepEqual(problems.map((p) => p.field), ["command", "unless", "env", "env", "env"]);
  assert.match(problems[0].message, /^unterminated single quote$/);
});

Deno.test("an unless guard that gives no answer (killed, timed out) fails the command instead of running it", async () => {
  for (
    const [answer, why] of [
      [{ code: 130, signal: "SIGINT" }, "was killed by SIGINT"],
      [{ code: 124, stderr: "timed out after 2000 ms" }, "timed out"],
    ] as const
  ) {
    const exec = new RecordingExecutor().on(["test"], answer);
    const s = spec({ command: "/usr/bin/make-once", unless: "test -e /srv/done", timeout: 2 });
    const note = `unless \`test -e /srv/done\` ${why}: cannot tell whether to run`;
    const planned = await changesOf(s, exec, "plan", testContext("plan"));
    assert.deepEqual(planned, [{ field: "run", before: null, after: null, note, blocked: true }]);
    const { outcome } = await converge(s, exec);
    assert.deepEqual(outcome, { ok: false, error: note });
    assert.ok(!exec.calls.some((argv) => argv[0] === "/usr/bin/make-once"), why);
  }
});

Deno.test("an onlyif guard killed by a signal skips the command, as a failing one does", async () => {
  const exec = new RecordingExecutor().on(["test"], { code: 143, signal: "SIGTERM" });
  const s = spec({ command: "/usr/bin/make-once", onlyif: "test -e /srv/ready" });
  const { changes } = await converge(s, exec);
  assert.deepEqual(changes, []);
  const [state] = await command.read([s], exec, testContext());
  assert.equal(state.skip, "onlyif `test -e /srv/ready` was killed by SIGTERM");
});

Deno.test("a real guard killed by a signal is reported with the signal's name", async () => {
  const [state] = await command.read(
    [spec({ command: "true", unless: ["sh", "-c", "kill -INT $$"] })],
    new RealExecutor(),
    testContext(),
  );
  assert.equal(state.unanswered, true);
  assert.match(state.note, /was killed by SIGINT: cannot tell whether to run$/);
});
