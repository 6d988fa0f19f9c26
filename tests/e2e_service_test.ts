/**
 * The `service` resource against real systemd (one fresh testbed server):
 * "started" means running. A Type=simple unit that dies right after
 * `systemctl start`, a unit in a `Restart=` loop, `enabled: true` on a static
 * unit and a handler restart that kills the daemon are failures, on every
 * run; `stopped` + `enabled: false` for a unit that is not installed is no
 * change. A rollback that puts a unit file back reloads systemd before the
 * restart; a handler of a masked unit whose state is left open fails nothing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bootServer, type Server } from "./testbed/mod.ts";
import { installCm } from "./e2e/install_cm.ts";
import type { RunReport } from "../src/engine/report.ts";

const COOKBOOK = "/srv/services.yaml";

/** The cookbook, with `conf` as the content of the file good.service reads. */
function cookbook(conf: string): string {
  return `name: services
version: "1.0.0"
configure:
  files:
    - path: /etc/systemd/system/broken.service
      content: |
        [Service]
        Type=simple
        ExecStart=/bin/sh -c 'exit 3'
        [Install]
        WantedBy=multi-user.target
    - path: /etc/systemd/system/loop.service
      content: |
        [Service]
        ExecStart=/bin/sh -c 'exit 4'
        Restart=on-failure
        RestartSec=3s
    - path: /etc/systemd/system/helper.service
      content: |
        [Service]
        ExecStart=/bin/sleep infinity
    - path: /etc/systemd/system/good.service
      content: |
        [Service]
        ExecStart=/bin/sh -c 'grep -qx ok /etc/good.conf && exec sleep infinity'
        [Install]
        WantedBy=multi-user.target
    - path: /etc/good.conf
      content: "${conf}\\n"
  services:
    - name: broken
      state: started
    - name: loop
      state: started
    - name: helper
      state: started
      enabled: true
    - name: good
      state: started
      enabled: true
      restart_on: [/etc/good.conf]
    - name: ghost
      state: stopped
      enabled: false
`;
}

/** `cm apply --json` of the cookbook: exit code, and `{id: status or error}` of services and handlers. */
async function apply(srv: Server, conf: string) {
  await srv.writeFile(COOKBOOK, cookbook(conf));
  const r = await srv.exec(["cm", "apply", "--json", COOKBOOK]);
  let report: RunReport;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`cm apply: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  }
  const line = (x: { id: string; status: string; error?: string }) =>
    x.status === "failed" ? `failed: ${x.error!.split("\n")[0]}` : x.status;
  return {
    code: r.code,
    services: Object.fromEntries(
      report.resources.filter((x) => x.id.startsWith("service[")).map((x) => [x.id, line(x)]),
    ),
    handlers: report.handlers.map((h) => `${h.action} ${h.id}: ${line(h)}`),
    errors: Object.fromEntries(report.resources.map((x) => [x.id, x.error ?? ""])),
  };
}

Deno.test("services that do not stay up fail, on every run; absent + stopped is no change", async () => {
  await using srv = await bootServer();
  console.log(`cm in the server: ${await installCm(srv)}`);

  const first = await apply(srv, "ok");
  assert.equal(first.code, 1);
  assert.deepEqual(first.services, {
    "service[broken]": "failed: started but not running: ActiveState=failed (Result=exit-code)",
    "service[loop]":
      "failed: started but not running: ActiveState=activating (SubState=auto-restart, Result=exit-code)",
    "service[helper]": "failed: unit has no [Install] section (static): cannot be enabled",
    "service[good]": "changed",
    "service[ghost]": "unchanged",
  });
  // The status tail explains why.
  assert.match(first.errors["service[broken]"], /status=3/);

  const second = await apply(srv, "ok");
  assert.equal(second.code, 1);
  assert.equal(second.services["service[broken]"], first.services["service[broken]"]);
  assert.equal(second.services["service[good]"], "unchanged");
  assert.equal(second.services["service[ghost]"], "unchanged");
  const active = await srv.exec(["systemctl", "is-active", "broken", "good", "helper"]);
  assert.deepEqual(active.stdout.trim().split("\n"), ["failed", "active", "inactive"]);

  // A configuration that kills the daemon: the handler restart fails.
  const broken = await apply(srv, "not ok");
  assert.deepEqual(broken.handlers, [
    "restart service[good]: failed: restarted but not running: " +
    "ActiveState=failed (Result=exit-code)",
  ]);
  // Fixed again: the next run starts it (a start needs no restart on top), and it stays up.
  const fixed = await apply(srv, "ok");
  assert.equal(fixed.services["service[good]"], "changed");
  assert.deepEqual(fixed.handlers, []);
  // A harmless change: the handler restart is checked and succeeds.
  const touched = await apply(srv, "ok\\n# version 2");
  assert.deepEqual(touched.handlers, ["restart service[good]: changed"]);
  assert.equal((await srv.exec(["systemctl", "is-active", "good"])).stdout.trim(), "active");
});

/** A cookbook whose unit file runs `cmd`, with a restart when the file changes and a health check. */
function unitCookbook(cmd: string): string {
  return `name: unit-file
configure:
  files:
    - path: /etc/systemd/system/uf.service
      content: |
        [Service]
        ExecStart=${cmd}
        [Install]
        WantedBy=multi-user.target
  services:
    - name: uf
      state: started
      enabled: true
      restart_on: [/etc/systemd/system/uf.service]
health:
  - service: uf
`;
}

Deno.test("a rollback that puts a unit file back restarts the service on the old definition; a masked unit is no handler failure", async () => {
  await using srv = await bootServer();
  console.log(`cm in the server: ${await installCm(srv)}`);
  const run = async (cmd: string) => {
    await srv.writeFile(COOKBOOK, unitCookbook(cmd));
    return await srv.exec(["cm", "apply", COOKBOOK]);
  };
  const good = await run("/bin/sleep infinity");
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const broken = await run("/bin/false");
  assert.equal(broken.code, 1, broken.stdout + broken.stderr);
  // systemd reloaded before the restart: the restored file's sleep runs again.
  assert.match(broken.stdout, /rolled back run \S+: 1 restored in [\d.]+ s; healthy again/);
  const show = await srv.exec(["systemctl", "show", "uf", "-p", "ActiveState,NeedDaemonReload"]);
  assert.equal(show.stdout, "ActiveState=active\nNeedDaemonReload=no\n");
  // The next run with the good cookbook has nothing to repair.
  const again = await run("/bin/sleep infinity");
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /apply: 0 changed/);

  // A unit the admin masked, whose state the cookbook leaves open: its config changes, nothing to restart.
  // (A unit from a package: one in /etc/systemd/system cannot be masked.)
  await srv.writeFile(
    "/usr/lib/systemd/system/pkg.service",
    "[Service]\nExecStart=/bin/sleep infinity\n",
  );
  await srv.exec(["systemctl", "daemon-reload"], { check: true });
  await srv.exec(["systemctl", "mask", "pkg"], { check: true });
  for (const conf of ["1", "2"]) {
    await srv.writeFile(COOKBOOK, masked(conf));
    const r = await srv.exec(["cm", "apply", "--json", COOKBOOK]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report: RunReport = JSON.parse(r.stdout);
    assert.deepEqual(report.handlers.map((h) => [h.id, h.status]), [["service[pkg]", "changed"]]);
  }
});

Deno.test("a rollback restarts a state: restarted service on the files it puts back", async () => {
  await using srv = await bootServer();
  console.log(`cm in the server: ${await installCm(srv)}`);
  const run = async (conf: string) => {
    await srv.writeFile(COOKBOOK, restartedCookbook(conf));
    return await srv.exec(["cm", "apply", COOKBOOK]);
  };
  const good = await run("good");
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const bad = await run("bad");
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /rolled back run \S+: 2 restored in [\d.]+ s; healthy again/);
  const running = await srv.exec(["cat", "/run/rs.running"], { check: true });
  assert.equal(running.stdout, "good\n");
});

/** A service that copies its config at start (`state: restarted`), checked by health. */
function restartedCookbook(conf: string): string {
  return `name: restarted
configure:
  files:
    - path: /etc/systemd/system/rs.service
      content: |
        [Service]
        ExecStart=/bin/sh -c 'cp /etc/rs.conf /run/rs.running && exec sleep infinity'
    - path: /etc/rs.conf
      content: "${conf}\\n"
  services:
    - name: rs
      state: restarted
health:
  - command: [grep, -qx, good, /run/rs.running]
    retries: 0
`;
}

/** A config file of the masked unit pkg, holding `conf`, and pkg with its state left open. */
function masked(conf: string): string {
  return `name: masked
configure:
  files:
    - path: /etc/pkg.conf
      content: "${conf}\\n"
  services:
    - name: pkg
      restart_on: [/etc/pkg.conf]
`;
}
