import assert from "node:assert/strict";
import { RecordingExecutor } from "../src/exec/recording.ts";
import type { ResourceContext } from "./resource.ts";
import {
  NO_SYSTEMD_WARNING,
  NOTE_EVERY_TIME,
  NOTE_NOT_FOUND,
  service,
  type ServiceSpec,
  type ServiceState,
} from "./service.ts";
import { parseShow, unitName } from "./_systemd.ts";
import { serviceSchema } from "./schemas.ts";

const SHOW = ["systemctl", "show", "--property=Id,LoadState,ActiveState,UnitFileState,SubState"];

function context(mode: "plan" | "apply" = "apply", changed: string[] = []) {
  const warnings: string[] = [];
  const ctx: ResourceContext = {
    mode,
    changed: new Set(changed),
    progress: () => {},
    warnOnce: (message) => {
      if (!warnings.includes(message)) warnings.push(message);
    },
  };
  return { ctx, warnings };
}

function spec(fields: Partial<ServiceSpec> & { name: string }): ServiceSpec {
  return serviceSchema.parse(fields);
}

function block(id: string, active: string, fileState: string, load = "loaded"): string {
  return `Id=${id}\nLoadState=${load}\nActiveState=${active}\nSubState=dead\nUnitFileState=${fileState}\n`;
}

/** A fake systemd machine whose `systemctl show` prints the given blocks. */
function systemd(...blocks: string[]): RecordingExecutor {
  return new RecordingExecutor()
    .put("/run/systemd/system")
    .on(["systemctl", "show"], { stdout: blocks.join("\n") });
}

async function planned(exec: RecordingExecutor, specs: ServiceSpec[], mode: "plan" | "apply") {
  const states = await service.read(specs, exec, context(mode).ctx);
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
    ["failed", null],
  ]);
});

Deno.test("service diff reports nothing when the unit is running and enabled as wanted", () => {
  const current: ServiceState = {
    manager: "systemd",
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
    manager: "systemd",
    unit: "nginx.service",
    found: true,
    active: "active",
    enabled: true,
  };
  assert.deepEqual(service.diff(spec({ name: "nginx", state: "restarted" }), current), [
    { field: "state", before: "active", after: "restarted", note: NOTE_EVERY_TIME },
  ]);
});

Deno.test("service plan reports a unit that is not found yet as a change with a note", async () => {
  const exec = systemd(block("nginx.service", "inactive", "", "not-found"));
  const items = await planned(exec, [spec({ name: "nginx", state: "started" })], "plan");
  assert.deepEqual(items[0].changes, [
    { field: "state", before: "not-found", after: "started", note: NOTE_NOT_FOUND },
  ]);
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
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{ ok: true }]);
  assert.deepEqual(exec.calls.filter((c) => c[1] !== "show"), [
    ["systemctl", "enable", "nginx.service"],
    ["systemctl", "start", "nginx.service"],
  ]);
});

Deno.test("service apply stops and disables a running unit", async () => {
  const exec = systemd(block("apache2.service", "active", "enabled"));
  const items = await planned(
    exec,
    [spec({ name: "apache2", state: "stopped", enabled: false })],
    "apply",
  );
  await service.apply(items, exec, context().ctx);
  assert.deepEqual(exec.calls.filter((c) => c[1] !== "show"), [
    ["systemctl", "disable", "apache2.service"],
    ["systemctl", "stop", "apache2.service"],
  ]);
});

Deno.test("service apply runs nothing when no unit has changes", async () => {
  const exec = systemd(block("nginx.service", "active", "enabled"));
  const items = await planned(exec, [spec({ name: "nginx", state: "started" })], "apply");
  assert.deepEqual(await service.apply(items, exec, context().ctx), [{ ok: true }]);
  assert.equal(exec.calls.length, 1);
});

Deno.test("service apply fails for a unit that is still not found", async () => {
  const exec = systemd(block("nginx.service", "inactive", "", "not-found"));
  const items = await planned(exec, [spec({ name: "nginx", state: "started" })], "apply");
  const outcomes = await service.apply(items, exec, context().ctx);
  assert.deepEqual(outcomes, [{
    ok: false,
    error: 'service[nginx]: unit "nginx.service" not found',
  }]);
  assert.equal(exec.calls.some((c) => c[1] === "start"), false);
});

Deno.test("service apply reloads systemd once when a unit file changed, then starts the new unit", async () => {
  const exec = systemd(block("myapp.service", "inactive", "", "not-found"));
  const items = await planned(exec, [spec({ name: "myapp", state: "started" })], "apply");
  exec.on(["systemctl", "daemon-reload"], () => {
    exec.on(["systemctl", "show"], { stdout: block("myapp.service", "inactive", "disabled") });
    return {};
  });
  const { ctx } = context("apply", ["file[/etc/systemd/system/myapp.service]", "file[/etc/motd]"]);
  const outcomes = await service.apply(items, exec, ctx);
  await service.apply(items, exec, ctx);
  assert.deepEqual(outcomes, [{ ok: true }]);
  assert.deepEqual(exec.calls.filter((c) => c[1] !== "show"), [
    ["systemctl", "daemon-reload"],
    ["systemctl", "start", "myapp.service"],
    ["systemctl", "start", "myapp.service"],
  ]);
});

Deno.test("service apply does not reload systemd when only other files changed", async () => {
  const exec = systemd(block("nginx.service", "inactive", "enabled"));
  const items = await planned(exec, [spec({ name: "nginx", state: "started" })], "apply");
  await service.apply(items, exec, context("apply", ["file[/etc/nginx/nginx.conf]"]).ctx);
  assert.equal(exec.calls.some((c) => c[1] === "daemon-reload"), false);
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
    error: "service[nginx]: start failed: systemctl exited 1: " +
      "Job for nginx.service failed because the control process exited with error code.\n" +
      'nginx: [emerg] unknown directive "foo"',
  }]);
  assert.deepEqual(exec.calls.at(-1), [
    "systemctl",
    "status",
    "--no-pager",
    "--full",
    "--lines=5",
    "nginx.service",
  ]);
});

Deno.test("service refresh restarts, and reloads with reload-or-restart", async () => {
  const exec = systemd();
  const nginx = spec({ name: "nginx", state: "started" });
  assert.deepEqual(await service.refresh!(nginx, "restart", exec, context().ctx), { ok: true });
  assert.deepEqual(await service.refresh!(nginx, "reload", exec, context().ctx), { ok: true });
  assert.deepEqual(exec.calls, [
    ["systemctl", "restart", "nginx.service"],
    ["systemctl", "reload-or-restart", "nginx.service"],
  ]);
});

Deno.test("service refresh only touches a running unit when the spec leaves state open", async () => {
  const exec = systemd();
  const nginx = spec({ name: "nginx" });
  await service.refresh!(nginx, "restart", exec, context().ctx);
  await service.refresh!(nginx, "reload", exec, context().ctx);
  assert.deepEqual(exec.calls, [
    ["systemctl", "try-restart", "nginx.service"],
    ["systemctl", "try-reload-or-restart", "nginx.service"],
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
    error: "service[nginx]: restart failed: systemctl exited 1: Failed to restart",
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
  const outcomes = await service.apply(items, exec, ctx);
  assert.deepEqual(exec.calls.filter((c) => c[2] !== "status"), [
    ["update-rc.d", "nginx", "enable"],
    ["service", "nginx", "start"],
  ]);
  assert.deepEqual(outcomes, [
    { ok: true },
    { ok: true },
    { ok: false, error: 'service[ghost]: init script "/etc/init.d/ghost" not found' },
  ]);
  assert.deepEqual(warnings, [NO_SYSTEMD_WARNING]);
});

Deno.test("service refresh without systemd restarts when the init script cannot reload", async () => {
  const exec = sysv().on(["service", "nginx", "reload"], { code: 3, stderr: "Usage: ..." });
  const outcome = await service.refresh!(
    spec({ name: "nginx", state: "started" }),
    "reload",
    exec,
    context().ctx,
  );
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [["service", "nginx", "reload"], ["service", "nginx", "restart"]]);
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
