import assert from "node:assert/strict";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { testContext } from "./_testing.ts";
import {
  ALREADY_DONE,
  NO_SYSTEMD_WARNING,
  NOTE_EVERY_TIME,
  NOTE_NOT_FOUND,
  service,
  type ServiceSpec,
  type ServiceState,
} from "./service.ts";
import { SETTLE_MS } from "./_systemd_manager.ts";
import { LIST_UNIT_FILES_ARGV, parseShow, unitName } from "../src/facts/systemd.ts";
import { schema as serviceSchema } from "./service_schema.ts";
import { SHOW_PROPERTIES, VERIFY_PROPERTIES } from "./_systemd_manager.ts";

const SHOW = ["systemctl", "show", `--property=${SHOW_PROPERTIES}`, "--"];
const VERIFY = ["systemctl", "show", `--property=${VERIFY_PROPERTIES}`, "--"];
/** Services keep nothing in the snapshot store. */
const NO_STORE = {
  capture: () => Promise.reject(new Error("no paths")),
  content: () => null,
};
const STATUS = ["systemctl", "status", "--no-pager", "--full", "--lines=10", "--"];
const NEEDS_RELOAD = ["systemctl", "show", "--property=Id,NeedDaemonReload", "--"];

function context(mode: "plan" | "apply" = "apply", changed: string[] = []) {
  const ctx = testContext(mode, changed);
  return { ctx, warnings: ctx.warnings };
}

function spec(fields: Partial<ServiceSpec> & { name: string }): ServiceSpec {
  return serviceSchema.parse(fields);
}

function block(id: string, active: string, fileState: string, load = "loaded"): string {
  return `Id=${id}\nLoadState=${load}\nActiveState=${active}\nSubState=dead\nUnitFileState=${fileState}\n`;
}

/** A `systemctl show` block of the properties cm reads after a start. */
function after(
  id: string,
  active: string,
  {
    sub = active === "active" ? "running" : "dead",
    result = "success",
    type = "notify",
    restarts = 0,
  } = {},
): string {
  return `Id=${id}\nLoadState=loaded\nActiveState=${active}\nSubState=${sub}\nResult=${result}\n` +
    `Type=${type}\nNRestarts=${restarts}\n`;
}

/**
 * A fake systemd machine whose `systemctl show` prints the given blocks (of
 * the units asked for, by Id), and whose units are up (Type=notify) when
 * looked at after a start.
 */
function systemd(...blocks: string[]): RecordingExecutor {
  const byId = new Map(blocks.map((b) => [/^Id=(.*)$/m.exec(b)![1], b]));
  return new RecordingExecutor()
    .put("/run/systemd/system")
    .on(["systemctl", "show"], (argv) => ({
      stdout: argv.slice(4).map((u) => byId.get(u) ?? "").join("\n"),
    }))
    .on(VERIFY, (argv) => ({ stdout: argv.slice(4).map((u) => after(u, "active")).join("\n") }))
    .on(NEEDS_RELOAD, (argv) => ({
      stdout: argv.slice(4).map((u) => `Id=${u}\nNeedDaemonReload=no\n`).join("\n"),
    }));
}

/** Answers successive `systemctl show` looks after a start with the given outputs (the last repeats). */
function looks(exec: RecordingExecutor, ...outputs: string[]): RecordingExecutor {
  let n = 0;
  return exec.on(VERIFY, () => ({ stdout: outputs[Math.min(n++, outputs.length - 1)] }));
}

async function planned(
  exec: RecordingExecutor,
  specs: ServiceSpec[],
  mode: "plan" | "apply",
  changed: string[] = [],
) {
  const states = await service.read(specs, exec, context(mode, changed).ctx);
  return specs.map((s, i) => ({ spec: s, changes: service.diff(s, states[i]) }));
}

Deno.test("service read asks systemctl show once for every unit of the batch", async () => {
  const exec = systemd(
    block("nginx.service", "active", "enabled"),
    block("php8.2-fpm.service", "inactive", "disabled"),
    block("cron.service", "failed", "static"),
  );
  const specs = [
    spec({ name: "nginx" }),
    spec({ name: "php8.2-fpm" }),
    spec({ name: "cron.service" }),
  ];
  const states = await service.read(specs, exec, context().ctx);
  assert.deepEqual(exec.calls, [[...SHOW, "nginx.service", "php8.2-fpm.service", "cron.service"]]);
  assert.deepEqual(states.map((s) => [s.active, s.enabled]), [
    ["active", true],
    ["inactive", false],
    ["failed", false],
  ]);
});

Deno.test("service diff reports nothing when the unit is running and enabled as wanted", () => {
  const current: ServiceState = {
    unit: "nginx.service",
    found: true,
    active: "active",
    enabled: true,
  };
  assert.deepEqual(
    service.diff(spec({ name: "nginx", state: "started", enabled: true }), current),
    [],
  );
});

Deno.test("service diff shows restarted as a change that runs every time", () => {
  const current: ServiceState = {
    unit: "nginx.service",
    found: true,
    active: "active",
    enabled: true,
  };
  assert.deepEqual(service.diff(spec({ name: "nginx", state: "restarted" }), current), [
    {
      field: "state",
      before: "active",
      after: "restarted",
      note: NOTE_EVERY_TIME,
      everyRun: true,
    },
  ]);
});

Deno.test("service plan reports a unit that is not found yet as a change with a note", async () => {
  const exec = systemd(block("nginx.service", "inactive", "", "not-found"));
  const specs = [spec({ name: "nginx", state: "started" })];
  // The package that brings it changes earlier in the run.
  const items = await planned(exec, specs, "plan", ["package[nginx]"]);
  assert.deepEqual(items[0].changes, [
    { field: "state", before: "not-found", after: "started", note: NOTE_NOT_FOUND },
  ]);
  assert.equal(exec.calls.some((c) => c[1] === "list-unit-files"), false);
});

Deno.test("service plan fails a unit nothing in the run can bring, naming the nearest unit", async () => {
  const exec = systemd(
    block("ngnix.service", "inactive", "", "not-found"),
    block("nginx.service", "active", "enabled"),
    block("foo.service", "inactive", "", "not-found"),
    block("myap.service", "inactive", "", "not-found"),
  ).on(LIST_UNIT_FILES_ARGV, {
    stdout: "getty@.service  enabled enabled\nnginx.service  enabled enabled\n" +
      "dbus.service  static enabled\n",
  });
  const items = await planned(exec, [
    spec({ name: "ngnix", state: "started" }),
    spec({ name: "nginx", state: "started" }),
    spec({ name: "foo", enabled: true }),
    spec({ name: "myap", enabled: true }),
  ], "plan");
  assert.deepEqual(items.map((i) => i.changes), [
    [{
      field: "state",
      before: "not-found",
      after: "started",
      note: 'unit "ngnix.service" not found: did you mean "nginx.service"?',
      blocked: true,
    }],
    [],
    [{
      field: "enabled",
      before: null,
      after: true,
      note: 'unit "foo.service" not found',
      blocked: true,
    }],
    [{
      field: "enabled",
      before: null,
      after: true,
      note: 'unit "myap.service" not found',
      blocked: true,
    }],
  ]);
  assert.deepEqual(exec.calls.filter((c) => c[1] === "list-unit-files"), [LIST_UNIT_FILES_ARGV]);
});

Deno.test("service apply enables then starts a stopped, disabled unit", async () => {
  const exec = systemd(block("nginx.service", "inactive", "disabled"));
  const items = await planned(
    exec,
    [spec({ name: "nginx", state: "started", enabled: true })],
    "apply",
  );
  assert.deepEqual(items[0].changes, [
    { field: "enabled", before: false, after: true },
    { field: "state", before: "inactive", after: "started" },
  ]);
  exec.calls.length = 0;
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: true }]);
  assert.deepEqual(exec.calls, [
    [...NEEDS_RELOAD, "nginx.service"],
    [...SHOW, "nginx.service"],
    ["systemctl", "enable", "--", "nginx.service"],
    ["systemctl", "start", "--", "nginx.service"],
    [...VERIFY, "nginx.service"],
  ]);
});

Deno.test("service apply stops and disables a running unit", async () => {
  const exec = systemd(block("apache2.service", "active", "enabled"));
  const items = await planned(
    exec,
    [spec({ name: "apache2", state: "stopped", enabled: false })],
    "apply",
  );
  assert.deepEqual(await service.apply(items, exec, context().ctx), [{ ok: true }]);
  assert.deepEqual(exec.calls.filter((c) => c[1] !== "show"), [
    ["systemctl", "disable", "--", "apache2.service"],
    ["systemctl", "stop", "--", "apache2.service"],
  ]);
  assert.equal(exec.calls.some((c) => c[2] === VERIFY[2]), false, "a stop is not checked");
});

Deno.test("service apply runs nothing, and waits for nothing, when no unit has changes", async () => {
  const exec = systemd(block("nginx.service", "active", "enabled"));
  const items = await planned(
    exec,
    [spec({ name: "nginx", state: "started", enabled: true })],
    "apply",
  );
  const { ctx } = context();
  assert.deepEqual(await service.apply(items, exec, ctx), [{ ok: true }]);
  assert.equal(ctx.slept, 0);
  assert.deepEqual(exec.calls, [[...SHOW, "nginx.service"]]);
});

Deno.test("service apply fails for a unit that is still not found", async () => {
  const exec = systemd(block("nginx.service", "inactive", "", "not-found"));
  const items = await planned(exec, [spec({ name: "nginx", state: "started" })], "apply", [
    "package[nginx]",
  ]);
  exec.on(LIST_UNIT_FILES_ARGV, { stdout: "nginx@.service disabled enabled\n" });
  // The package came, the unit did not: at apply, nothing else can bring it.
  const outcomes = await service.apply(items, exec, context("apply", ["package[nginx]"]).ctx);
  assert.deepEqual(outcomes, [{
    ok: false,
    error: 'unit "nginx.service" not found: did you mean "nginx@.service"?',
  }]);
  assert.equal(exec.calls.some((c) => c[1] === "start"), false);
});

Deno.test("service apply reloads systemd once when systemd says a unit needs it, then starts it", async () => {
  const exec = systemd(block("myapp.service", "inactive", "disabled"))
    .on(NEEDS_RELOAD, { stdout: "Id=myapp.service\nNeedDaemonReload=yes\n" });
  const items = await planned(exec, [spec({ name: "myapp", state: "started" })], "apply");
  exec.on(["systemctl", "daemon-reload"], () => {
    exec.on(NEEDS_RELOAD, { stdout: "Id=myapp.service\nNeedDaemonReload=no\n" });
    return {};
  });
  const { ctx } = context("apply", ["file[/etc/systemd/system/myapp.service.d/x.conf]"]);
  const outcomes = await service.apply(items, exec, ctx);
  await service.apply(items, exec, ctx);
  assert.deepEqual(outcomes, [{ ok: true }]);
  assert.deepEqual(exec.calls.filter((c) => c[2] !== SHOW[2]), [
    [...NEEDS_RELOAD, "myapp.service"],
    ["systemctl", "daemon-reload"],
    ["systemctl", "start", "--", "myapp.service"],
    [...VERIFY, "myapp.service"],
    ["systemctl", "start", "--", "myapp.service"],
    [...VERIFY, "myapp.service"],
  ]);
});

Deno.test("service apply asks systemd once and reloads nothing when no unit needs it", async () => {
  const exec = systemd(block("nginx.service", "inactive", "enabled"))
    .on(NEEDS_RELOAD, { stdout: "Id=nginx.service\nNeedDaemonReload=no\n" });
  const items = await planned(exec, [spec({ name: "nginx", state: "started" })], "apply");
  const { ctx } = context("apply", ["file[/etc/nginx/nginx.conf]"]);
  await service.apply(items, exec, ctx);
  await service.apply(items, exec, ctx);
  assert.equal(exec.calls.some((c) => c[1] === "daemon-reload"), false);
  assert.equal(exec.calls.filter((c) => c[2] === NEEDS_RELOAD[2]).length, 2);
});

Deno.test("service apply reloads systemd for a unit file changed outside the run (by hand, by a rollback)", async () => {
  // Nothing changed in this run, yet systemd holds an outdated definition: a
  // start without the reload would run the old ExecStart, run after run.
  const exec = systemd(block("uf.service", "failed", "enabled"))
    .on(NEEDS_RELOAD, { stdout: "Id=uf.service\nNeedDaemonReload=yes\n" });
  const items = await planned(exec, [spec({ name: "uf", state: "started" })], "apply");
  exec.on(["systemctl", "daemon-reload"], () => {
    exec.on(NEEDS_RELOAD, { stdout: "Id=uf.service\nNeedDaemonReload=no\n" });
    return {};
  });
  const { ctx } = context("apply");
  assert.deepEqual(await service.apply(items, exec, ctx), [{ ok: true }]);
  assert.deepEqual(exec.calls.filter((c) => c[2] !== SHOW[2]), [
    [...NEEDS_RELOAD, "uf.service"],
    ["systemctl", "daemon-reload"],
    ["systemctl", "start", "--", "uf.service"],
    [...VERIFY, "uf.service"],
  ]);
});

Deno.test("service apply fails a unit restarted onto an outdated definition", async () => {
  const exec = looks(
    systemd(block("web.service", "inactive", "enabled")),
    after("web.service", "active") + "NeedDaemonReload=yes\n",
  );
  const items = await planned(exec, [spec({ name: "web", state: "started" })], "apply");
  const [outcome] = await service.apply(items, exec, context().ctx);
  assert.equal(outcome.ok, false);
  assert.match(
    (outcome as { error: string }).error,
    /^started but runs an outdated definition: its unit file changed on disk/,
  );
});

Deno.test("service start failure names the unit, systemctl's stderr and the status tail", async () => {
  const exec = systemd(block("nginx.service", "inactive", "enabled"))
    .on(["systemctl", "start"], {
      code: 1,
      stderr: "Job for nginx.service failed because the control process exited with error code.\n",
    })
    .on(["systemctl", "status"], { code: 3, stdout: 'nginx: [emerg] unknown directive "foo"\n' });
  const items = await planned(exec, [spec({ name: "nginx", state: "started" })], "apply");
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{
    ok: false,
    error: "start failed: systemctl exited 1: " +
      "Job for nginx.service failed because the control process exited with error code.\n" +
      'nginx: [emerg] unknown directive "foo"',
  }]);
  assert.deepEqual(exec.calls.at(-1), [...STATUS, "nginx.service"]);
  assert.equal(exec.calls.some((c) => c[2] === VERIFY[2]), false);
});

Deno.test("service refresh restarts, and reloads with reload-or-restart", async () => {
  const exec = systemd();
  const nginx = spec({ name: "nginx", state: "started" });
  assert.deepEqual(await service.refresh!(nginx, "restart", exec, context().ctx), { ok: true });
  assert.deepEqual(await service.refresh!(nginx, "reload", exec, context().ctx), { ok: true });
  assert.deepEqual(exec.calls, [
    [...NEEDS_RELOAD, "nginx.service"],
    ["systemctl", "restart", "--", "nginx.service"],
    [...VERIFY, "nginx.service"],
    [...NEEDS_RELOAD, "nginx.service"],
    ["systemctl", "reload-or-restart", "--", "nginx.service"],
    [...VERIFY, "nginx.service"],
  ]);
});

Deno.test("service refresh only touches a running unit when the spec leaves state open", async () => {
  const exec = systemd();
  const nginx = spec({ name: "nginx" });
  await service.refresh!(nginx, "restart", exec, context().ctx);
  await service.refresh!(nginx, "reload", exec, context().ctx);
  assert.deepEqual(exec.calls, [
    [...NEEDS_RELOAD, "nginx.service"],
    ["systemctl", "try-restart", "--", "nginx.service"],
    [...NEEDS_RELOAD, "nginx.service"],
    ["systemctl", "try-reload-or-restart", "--", "nginx.service"],
  ]);
});

Deno.test("service refresh leaves a stopped service stopped", async () => {
  const exec = systemd();
  const outcome = await service.refresh!(
    spec({ name: "nginx", state: "stopped" }),
    "restart",
    exec,
    context().ctx,
  );
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, []);
});

Deno.test("service refresh reports a failed restart with stderr", async () => {
  const exec = systemd().on(["systemctl", "restart"], { code: 1, stderr: "Failed to restart\n" });
  const outcome = await service.refresh!(
    spec({ name: "nginx", state: "started" }),
    "restart",
    exec,
    context().ctx,
  );
  assert.deepEqual(outcome, {
    ok: false,
    error: "restart failed: systemctl exited 1: Failed to restart",
  });
});

/** A fake machine without systemd: init.d scripts and rc2.d links. */

function sysv(): RecordingExecutor {
  return new RecordingExecutor()
    .put("/etc/init.d/nginx", "#!/bin/sh\n", { mode: 0o755 })
    .put("/etc/init.d/cron", "#!/bin/sh\n", { mode: 0o755 })
    .put("/etc/rc2.d/S01cron", "")
    .on(["service", "nginx", "status"], { code: 3 });
}

Deno.test("service apply fails a simple service that dies right after starting", async () => {
  const exec = systemd(block("broken.service", "failed", "disabled"))
    .on(["systemctl", "status"], {
      code: 3,
      stdout: "× broken.service\n     Active: failed (Result: exit-code)\n" +
        "Jan 01 00:00:00 host systemd[1]: broken.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED\n",
    });
  looks(
    exec,
    after("broken.service", "active", { type: "simple" }),
    after("broken.service", "failed", { type: "simple", sub: "failed", result: "exit-code" }),
  );
  const items = await planned(exec, [spec({ name: "broken", state: "started" })], "apply");
  exec.calls.length = 0;
  const { ctx } = context();
  const outcomes = await service.apply(items, exec, ctx);
  assert.equal(ctx.slept, SETTLE_MS.grace, "a simple service gets a moment to crash");
  assert.deepEqual(outcomes, [{
    ok: false,
    error: "started but not running: ActiveState=failed (Result=exit-code)\n" +
      "× broken.service\n     Active: failed (Result: exit-code)\n" +
      "Jan 01 00:00:00 host systemd[1]: broken.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED",
  }]);
  assertCalls(exec, [
    [...NEEDS_RELOAD, "broken.service"],
    [...SHOW, "broken.service"],
    ["systemctl", "start", "--", "broken.service"],
    [...VERIFY, "broken.service"],
    [...STATUS, "broken.service"],
  ]);
});

/**
 * The calls made, with repeated looks (VERIFY) folded into one: how many looks
 * fit in the grace time depends on how busy the machine is.
 */
function assertCalls(exec: RecordingExecutor, expected: string[][]): void {
  const folded = exec.calls.filter((argv, i) =>
    !(argv.join(" ").startsWith(VERIFY.join(" ")) &&
      exec.calls[i - 1]?.join(" ") === argv.join(" "))
  );
  assert.deepEqual(folded, expected);
}

Deno.test("service apply accepts a simple service still running after the grace time", async () => {
  const exec = systemd(block("web.service", "inactive", "enabled"));
  looks(exec, after("web.service", "active", { type: "simple" }));
  const items = await planned(exec, [spec({ name: "web", state: "started" })], "apply");
  exec.calls.length = 0;
  assert.deepEqual(await service.apply(items, exec, context().ctx), [{ ok: true }]);
  assertCalls(exec, [
    [...NEEDS_RELOAD, "web.service"],
    [...SHOW, "web.service"],
    ["systemctl", "start", "--", "web.service"],
    [...VERIFY, "web.service"],
  ]);
});

Deno.test("service apply catches a crash seen right away without waiting", async () => {
  const exec = systemd(block("broken.service", "inactive", "enabled"));
  looks(exec, after("broken.service", "inactive", { type: "simple", result: "exit-code" }));
  const items = await planned(exec, [spec({ name: "broken", state: "started" })], "apply");
  const { ctx } = context();
  const [outcome] = await service.apply(items, exec, ctx);
  assert.equal(ctx.slept, 0);
  assert.deepEqual(outcome, {
    ok: false,
    error: "started but not running: ActiveState=inactive (SubState=dead, Result=exit-code)",
  });
});

Deno.test("service apply polls a unit while it is activating, then accepts it active", async () => {
  const exec = systemd(block("db.service", "inactive", "enabled"));
  looks(
    exec,
    after("db.service", "activating", { sub: "start" }),
    after("db.service", "activating", { sub: "start-post" }),
    after("db.service", "active"),
  );
  const items = await planned(exec, [spec({ name: "db", state: "started" })], "apply");
  exec.calls.length = 0;
  assert.deepEqual(await service.apply(items, exec, context().ctx), [{ ok: true }]);
  assert.deepEqual(exec.calls, [
    [...NEEDS_RELOAD, "db.service"],
    [...SHOW, "db.service"],
    ["systemctl", "start", "--", "db.service"],
    [...VERIFY, "db.service"],
    [...VERIFY, "db.service"],
    [...VERIFY, "db.service"],
  ]);
});

Deno.test("service apply accepts a unit still activating when the settle time is up", async () => {
  const exec = systemd(block("slow.service", "inactive", "enabled"));
  looks(exec, after("slow.service", "activating", { sub: "start" }));
  const items = await planned(exec, [spec({ name: "slow", state: "started" })], "apply");
  const { ctx } = context();
  assert.deepEqual(await service.apply(items, exec, ctx), [{ ok: true }]);
  assert.equal(ctx.slept, SETTLE_MS.max);
  const verifies = exec.calls.filter((c) => c[2] === VERIFY[2]).length;
  assert.equal(verifies, SETTLE_MS.max / SETTLE_MS.poll + 1);
});

Deno.test("service apply fails a unit that Restart= is already restarting", async () => {
  const exec = systemd(
    block("loop.service", "inactive", "enabled"),
    block("flap.service", "inactive", "enabled"),
  );
  looks(
    exec,
    after("loop.service", "activating", { sub: "auto-restart", result: "exit-code" }) + "\n" +
      after("flap.service", "active", { restarts: 2 }),
  );
  const items = await planned(
    exec,
    [spec({ name: "loop", state: "started" }), spec({ name: "flap", state: "started" })],
    "apply",
  );
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [
    {
      ok: false,
      error: "started but not running: " +
        "ActiveState=activating (SubState=auto-restart, Result=exit-code)",
    },
    {
      ok: false,
      error: "started but crashing: systemd restarted it 2 times (Restart=), " +
        "now ActiveState=active (SubState=running)",
    },
  ]);
});

Deno.test("service apply checks all started units with one systemctl show per look", async () => {
  const exec = systemd(
    block("a.service", "inactive", "enabled"),
    block("b.service", "active", "enabled"),
    block("c.service", "inactive", "enabled"),
    block("d.service", "inactive", "enabled"),
  );
  looks(
    exec,
    after("a.service", "active", { type: "forking" }) + "\n" +
      after("c.service", "active", { type: "simple" }) + "\n" +
      after("d.service", "inactive", { type: "oneshot" }),
    after("c.service", "active", { type: "simple" }),
  );
  const specs = ["a", "b", "c", "d"].map((name) => spec({ name, state: "started" }));
  const items = await planned(exec, specs, "apply");
  exec.calls.length = 0;
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
  assert.deepEqual(exec.calls.slice(0, 6), [
    [...NEEDS_RELOAD, "a.service", "c.service", "d.service"],
    [...SHOW, "a.service", "c.service", "d.service"],
    ["systemctl", "start", "--", "a.service"],
    ["systemctl", "start", "--", "c.service"],
    ["systemctl", "start", "--", "d.service"],
    [...VERIFY, "a.service", "c.service", "d.service"],
  ]);
  // Then only the simple service is looked at again, if the first look came within its grace time.
  assert.deepEqual(
    exec.calls.slice(6).filter((argv) => argv.join(" ") !== [...VERIFY, "c.service"].join(" ")),
    [],
  );
});

Deno.test("service apply fails a oneshot unit that did not succeed", async () => {
  const exec = systemd(block("job.service", "inactive", "static"));
  looks(
    exec,
    after("job.service", "failed", { type: "oneshot", sub: "failed", result: "exit-code" }),
  );
  const items = await planned(exec, [spec({ name: "job", state: "started" })], "apply");
  const [outcome] = await service.apply(items, exec, context().ctx);
  assert.equal(outcome.ok, false);
});

Deno.test("service apply says when it cannot check a started unit", async () => {
  const exec = systemd(block("web.service", "inactive", "enabled"))
    .on(VERIFY, { code: 1, stderr: "Failed to connect to bus\n" });
  const items = await planned(exec, [spec({ name: "web", state: "started" })], "apply");
  const [outcome] = await service.apply(items, exec, context().ctx);
  assert.equal(
    (outcome as { error: string }).error,
    "started but could not be checked: systemctl show exited 1: " +
      "Failed to connect to bus",
  );
});

Deno.test("service apply checks a restarted unit too", async () => {
  const exec = systemd(block("web.service", "active", "enabled"));
  looks(exec, after("web.service", "failed", { sub: "failed", result: "signal" }));
  const items = await planned(exec, [spec({ name: "web", state: "restarted" })], "apply");
  const [outcome] = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcome, {
    ok: false,
    error: "restarted but not running: ActiveState=failed (Result=signal)",
  });
});

Deno.test("service handler restart is checked: a unit that dies after it fails", async () => {
  const exec = systemd();
  looks(
    exec,
    after("web.service", "active", { type: "exec" }),
    after("web.service", "failed", { type: "exec", sub: "failed", result: "exit-code" }),
  );
  const outcome = await service.refresh!(
    spec({ name: "web", state: "started" }),
    "restart",
    exec,
    context().ctx,
  );
  assert.deepEqual(outcome, {
    ok: false,
    error: "restarted but not running: ActiveState=failed (Result=exit-code)",
  });
  assert.deepEqual(exec.calls, [
    [...NEEDS_RELOAD, "web.service"],
    ["systemctl", "restart", "--", "web.service"],
    [...VERIFY, "web.service"],
    [...VERIFY, "web.service"],
    [...STATUS, "web.service"],
  ]);
});

Deno.test("service handler reload waits while the unit reloads, ignoring an old restart count", async () => {
  const exec = systemd();
  looks(
    exec,
    after("web.service", "reloading", { sub: "reload", restarts: 1 }),
    after("web.service", "active", { restarts: 1 }),
  );
  const outcome = await service.refresh!(
    spec({ name: "web", state: "started" }),
    "reload",
    exec,
    context().ctx,
  );
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [
    [...NEEDS_RELOAD, "web.service"],
    ["systemctl", "reload-or-restart", "--", "web.service"],
    [...VERIFY, "web.service"],
    [...VERIFY, "web.service"],
  ]);
});

Deno.test("service handler try-restart of a service whose state is open is not checked", async () => {
  const exec = systemd();
  looks(exec, after("web.service", "inactive"));
  assert.deepEqual(
    await service.refresh!(spec({ name: "web" }), "restart", exec, context().ctx),
    { ok: true },
  );
  assert.deepEqual(exec.calls, [
    [...NEEDS_RELOAD, "web.service"],
    ["systemctl", "try-restart", "--", "web.service"],
  ]);
});

Deno.test("service enabled: true on a static unit is a change in the plan and fails at apply", async () => {
  const exec = systemd(block("helper.service", "inactive", "static"));
  const wanted = spec({ name: "helper", state: "started", enabled: true });
  const items = await planned(exec, [wanted], "plan");
  assert.deepEqual(items[0].changes, [
    {
      field: "enabled",
      before: "static",
      after: true,
      note: "unit has no [Install] section (static): cannot be enabled",
      blocked: true,
    },
    { field: "state", before: "inactive", after: "started" },
  ]);
  exec.calls.length = 0;
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{
    ok: false,
    error: "unit has no [Install] section (static): cannot be enabled",
  }]);
  assert.deepEqual(exec.calls, [[...NEEDS_RELOAD, "helper.service"], [...SHOW, "helper.service"]]);
});

Deno.test("service enabled: false on a static unit needs no change", async () => {
  const exec = systemd(block("helper.service", "active", "static"));
  const items = await planned(exec, [spec({ name: "helper", enabled: false })], "plan");
  assert.deepEqual(items[0].changes, []);
});

Deno.test("service stopped or disabled is already true for a unit that is not installed", async () => {
  const exec = systemd(
    block("a.service", "inactive", "", "not-found"),
    block("b.service", "inactive", "", "not-found"),
    block("c.service", "inactive", "", "not-found"),
    block("d.service", "inactive", "", "not-found"),
  );
  const items = await planned(
    exec,
    [
      spec({ name: "a", state: "stopped" }),
      spec({ name: "b", enabled: false }),
      spec({ name: "c", state: "stopped", enabled: false }),
      spec({ name: "d", state: "stopped", enabled: true }),
    ],
    "plan",
    ["package[d]"],
  );
  assert.deepEqual(items.map((i) => i.changes), [
    [],
    [],
    [],
    [{ field: "enabled", before: null, after: true, note: NOTE_NOT_FOUND }],
  ]);
});

Deno.test("service apply finds nothing to do when the unit went away since the plan", async () => {
  const exec = systemd(block("old.service", "active", "enabled"));
  const items = await planned(
    exec,
    [spec({ name: "old", state: "stopped", enabled: false })],
    "apply",
  );
  exec.on(SHOW, { stdout: block("old.service", "inactive", "", "not-found") });
  exec.calls.length = 0;
  assert.deepEqual(await service.apply(items, exec, context().ctx), [
    { ok: true, unchanged: ALREADY_DONE },
  ]);
  assert.deepEqual(exec.calls, [[...NEEDS_RELOAD, "old.service"], [...SHOW, "old.service"]]);
});

Deno.test("service without systemd fails an init script whose daemon died after start", async () => {
  const exec = sysv();
  const items = await planned(exec, [spec({ name: "nginx", state: "started" })], "apply");
  exec.calls.length = 0;
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{
    ok: false,
    error: "started but not running: service nginx status exited 3",
  }]);
  assert.deepEqual(exec.calls, [
    ["service", "nginx", "status"],
    ["service", "nginx", "start"],
    ["service", "nginx", "status"],
  ]);
});

Deno.test("service falls back to service(8) and rc2.d links when systemd is not running", async () => {
  const exec = sysv();
  const { ctx, warnings } = context();
  const specs = [
    spec({ name: "nginx", state: "started", enabled: true }),
    spec({ name: "cron.service", state: "started", enabled: true }),
    spec({ name: "ghost", state: "started" }),
  ];
  const states = await service.read(specs, exec, ctx);
  assert.deepEqual(states.map((s) => [s.unit, s.found, s.active, s.enabled]), [
    ["nginx", true, "inactive", false],
    ["cron", true, "active", true],
    ["ghost", false, "inactive", false],
  ]);
  assert.deepEqual(warnings, [NO_SYSTEMD_WARNING]);
  assert.equal(exec.calls.some((c) => c[0] === "systemctl"), false);
  const items = specs.map((s, i) => ({ spec: s, changes: service.diff(s, states[i]) }));
  exec.calls.length = 0;
  exec.on(["service", "nginx", "start"], () => {
    exec.on(["service", "nginx", "status"], { code: 0 });
    return {};
  });
  const outcomes = await service.apply(items, exec, ctx);
  assert.deepEqual(exec.calls, [
    ["service", "nginx", "status"],
    ["update-rc.d", "nginx", "enable"],
    ["service", "nginx", "start"],
    ["service", "nginx", "status"],
  ]);
  assert.deepEqual(outcomes, [
    { ok: true },
    { ok: true },
    { ok: false, error: 'init script "/etc/init.d/ghost" not found' },
  ]);
  assert.deepEqual(warnings, [NO_SYSTEMD_WARNING]);
});

Deno.test("service refresh without systemd restarts when the init script cannot reload", async () => {
  const exec = sysv()
    .on(["service", "nginx", "reload"], { code: 3, stderr: "Usage: ..." })
    .on(["service", "nginx", "status"], { code: 0 });
  const outcome = await service.refresh!(
    spec({ name: "nginx", state: "started" }),
    "reload",
    exec,
    context().ctx,
  );
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [
    ["service", "nginx", "reload"],
    ["service", "nginx", "restart"],
    ["service", "nginx", "status"],
  ]);
});

Deno.test("systemctl show parsing keeps one block per unit in order", () => {
  const blocks = parseShow(
    block("a.service", "active", "enabled") + "\n" + block("b.service", "inactive", ""),
  );
  assert.deepEqual(blocks.map((b) => [b.Id, b.ActiveState, b.UnitFileState]), [
    ["a.service", "active", "enabled"],
    ["b.service", "inactive", ""],
  ]);
});

Deno.test("unit names get .service unless they already name a unit type", () => {
  assert.equal(unitName("php8.2-fpm"), "php8.2-fpm.service");
  assert.equal(unitName("nginx.service"), "nginx.service");
  assert.equal(unitName("apt-daily.timer"), "apt-daily.timer");
});

Deno.test("a unit in a crash loop (auto-restart) is not counted as running", () => {
  const exec = new RecordingExecutor().put("/run/systemd/system").on(["systemctl", "show"], {
    stdout:
      "Id=app.service\nLoadState=loaded\nActiveState=activating\nUnitFileState=enabled\nSubState=auto-restart\n",
  });
  return service.read([spec({ name: "app", state: "started" })], exec, context().ctx).then(
    ([state]) => {
      assert.deepEqual(service.diff(spec({ name: "app", state: "started" }), state), [
        { field: "state", before: "auto-restart", after: "started" },
      ]);
    },
  );
});

Deno.test("service snapshot records running and enabled; restore stops and disables it again", async () => {
  const before = systemd(block("web.service", "inactive", "disabled"));
  const [state] = await service.read([spec({ name: "web" })], before, context().ctx);
  const record = await service.snapshot!(spec({ name: "web" }), state, NO_STORE);
  assert.deepEqual(record, { type: "service", name: "web", active: false, enabled: false });
  const now = systemd(block("web.service", "active", "enabled"));
  const outcome = await service.restore!(record, now, NO_STORE, context().ctx);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(now.calls.filter((c) => c[1] === "disable" || c[1] === "stop"), [
    ["systemctl", "disable", "--", "web.service"],
    ["systemctl", "stop", "--", "web.service"],
  ]);
  const same = systemd(block("web.service", "inactive", "disabled"));
  assert.deepEqual(await service.restore!(record, same, NO_STORE, context().ctx), { ok: true });
  assert.ok(!same.calls.some((c) => c[1] === "stop" || c[1] === "disable"));
});

/** A `systemctl show` block with the unit file and source paths cm reads. */
function sourced(id: string, fileState: string, paths: { fragment?: string; source?: string }) {
  return block(id, "inactive", fileState) +
    `FragmentPath=${paths.fragment ?? ""}\nSourcePath=${paths.source ?? ""}\n`;
}

Deno.test("service reads an indirect unit as enabled when all its Also= units are", async () => {
  const exec = systemd(
    sourced("sock.service", "indirect", { fragment: "/lib/systemd/system/sock.service" }),
    sourced("lonely.service", "indirect", { fragment: "/lib/systemd/system/lonely.service" }),
  )
    .put("/lib/systemd/system/sock.service", "[Install]\nAlso=sock.socket sock-b.socket\n")
    .put("/lib/systemd/system/lonely.service", "[Service]\nExecStart=/bin/true\n")
    .on(["systemctl", "show", "--property=Id,UnitFileState"], {
      stdout: "Id=sock.socket\nUnitFileState=enabled\n\nId=sock-b.socket\nUnitFileState=disabled\n",
    });
  const specs = [spec({ name: "sock", enabled: true }), spec({ name: "lonely", enabled: true })];
  const items = await planned(exec, specs, "plan");
  assert.deepEqual(items[0].changes, [{ field: "enabled", before: false, after: true }]);
  assert.equal(items[1].changes[0].blocked, true);
  assert.match(items[1].changes[0].note!, /indirect/);
  // One show for the batch, one for every partner at once.
  assert.equal(exec.calls.length, 2);
});

Deno.test("service reads an init.d script's unit (generated) by its rc2.d links, and enables it with systemctl", async () => {
  const exec = systemd(
    sourced("hello.service", "generated", { source: "/etc/init.d/hello" }),
    sourced("mnt.mount", "generated", { source: "/etc/fstab" }),
  );
  const specs = [
    spec({ name: "hello", enabled: true }),
    spec({ name: "mnt.mount", enabled: false }),
  ];
  const items = await planned(exec, specs, "apply");
  assert.deepEqual(items[0].changes, [{ field: "enabled", before: false, after: true }]);
  assert.equal(items[1].changes[0].blocked, true);
  assert.equal(
    items[1].changes[0].note,
    'unit is made by a generator from "/etc/fstab": change that instead',
  );
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: true }, { ok: false, error: items[1].changes[0].note }]);
  assert.deepEqual(exec.calls.filter((c) => c[1] === "enable" || c[1] === "disable"), [
    ["systemctl", "enable", "--", "hello.service"],
  ]);
  // Enabled: its start link is there.
  exec.put("/etc/rc2.d/S01hello", "");
  assert.deepEqual((await planned(exec, [specs[0]], "plan"))[0].changes, []);
});

Deno.test("service enables an enabled-runtime or linked unit for the next boot", async () => {
  const exec = systemd(
    block("rt.service", "active", "enabled-runtime"),
    block("ln.service", "active", "linked"),
    block("lr.service", "active", "linked-runtime"),
  );
  const specs = ["rt", "ln", "lr"].map((name) => spec({ name, enabled: true }));
  const items = await planned(exec, specs, "plan");
  assert.deepEqual(items.map((i) => [i.changes[0].before, i.changes[0].blocked ?? false]), [
    [false, false],
    [false, false],
    ["linked-runtime", true],
  ]);
  // Runtime-only enablement is no enablement to keep off either.
  const off = await planned(exec, [spec({ name: "rt", enabled: false })], "plan");
  assert.deepEqual(off[0].changes, []);
});

Deno.test("service plan fails a masked unit asked to start or be enabled, not one kept stopped", async () => {
  const masked = block("m.service", "inactive", "masked", "masked");
  const exec = systemd(masked);
  const items = await planned(exec, [
    spec({ name: "m", state: "started", enabled: true }),
    spec({ name: "m", state: "stopped", enabled: false }),
  ], "plan");
  assert.deepEqual(items.map((i) => i.changes.map((c) => [c.field, c.note, c.blocked])), [
    [
      ["enabled", "unit is masked: run systemctl unmask m.service first", true],
      ["state", "unit is masked: cannot be started (systemctl unmask m.service)", true],
    ],
    [],
  ]);
});

Deno.test("service acts on the unit an alias names: disabling the alias removes it, the unit must still stop", async () => {
  // other.service is an Alias= of real.service: `systemctl disable` removes the alias link, so a
  // stop by the alias name then fails and the next run finds nothing to stop, while real runs on.
  const exec = new RecordingExecutor().put("/run/systemd/system")
    .on(["systemctl", "show"], () => ({ stdout: block("real.service", "active", "enabled") }));
  const items = await planned(
    exec,
    [spec({ name: "other", enabled: false, state: "stopped" })],
    "apply",
  );
  assert.deepEqual(items[0].changes.map((c) => c.field), ["enabled", "state"]);
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: true }]);
  assert.deepEqual(exec.calls.filter((c) => c[1] === "disable" || c[1] === "stop"), [
    ["systemctl", "disable", "--", "real.service"],
    ["systemctl", "stop", "--", "real.service"],
  ]);
});

Deno.test("service schema refuses unit names systemd refuses (they failed every service of the batch)", () => {
  const message = (name: string) => serviceSchema.safeParse({ name }).error?.issues[0].message;
  const instance = 'expected a template name and an instance around "@", like "getty@tty1"';
  assert.equal(
    message("@foo"),
    'expected a unit name like "nginx" or "php8.2-fpm.service" (not starting with "-" or "@")',
  );
  assert.equal(message("foo@"), instance);
  assert.equal(message("foo@.service"), instance);
  assert.equal(message("a@b@c"), 'expected at most one "@" in a unit name');
  assert.equal(
    message("a".repeat(248)),
    "expected a unit name of at most 255 characters (systemd's limit)",
  );
  for (const ok of ["a".repeat(247), "getty@tty1", "php8.2-fpm.service", "a:b", "foo.socket"]) {
    assert.equal(message(ok), undefined, ok);
  }
});
