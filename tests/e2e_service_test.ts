/**
 * The `service` resource against real systemd (one fresh testbed server):
 * "started" means running. A Type=simple unit that dies right after
 * `systemctl start`, a unit in a `Restart=` loop, `enabled: true` on a static
 * unit and a handler restart that kills the daemon are failures, on every
 * run; `stopped` + `enabled: false` for a unit that is not installed is no
 * change.
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
    "service[helper]": "failed: cannot enable: unit has no [Install] section (static)",
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
