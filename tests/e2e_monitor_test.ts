/**
 * The monitoring blocks against a real systemd and journald (one fresh
 * testbed server): the `service` health check passes a unit that stays up
 * and fails one in a restart loop, and audit entries reach the journal with
 * their `CM_*` fields at the priority of their event.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bootServer, type Server } from "./testbed/mod.ts";
import type { Executor } from "../src/exec/executor.ts";
import { runHealthChecks } from "../src/monitor/health.ts";
import { healthSchema } from "../src/cookbook/health_schema.ts";
import { type AuditEntry, journalAudit } from "../src/monitor/audit.ts";

/** An Executor whose processes run in the server; nothing else is needed here. */
function inServer(srv: Server): Executor {
  const none = (): never => {
    throw new Error("only run() reaches into the test server");
  };
  return {
    run: (argv, options = {}) => srv.exec(argv, { stdin: options.stdin }),
    runGuard: (argv, options = {}) => srv.exec(argv, { stdin: options.stdin }),
    stat: none,
    readFile: none,
    readText: none,
    readLink: none,
    listDir: none,
    hashFile: none,
    uid: none,
    gid: none,
    userName: none,
    groupName: none,
    isRoot: () => true,
    writeFile: none,
    appendFile: none,
    mkdir: none,
    chmod: none,
    chown: none,
    remove: none,
    removeTree: none,
    symlink: none,
    flush: () => {},
  };
}

const UNITS = {
  "/etc/systemd/system/steady.service": "[Service]\nExecStart=/bin/sleep infinity\n",
  "/etc/systemd/system/loop.service": "[Unit]\nStartLimitIntervalSec=0\n[Service]\n" +
    "ExecStart=/bin/sh -c 'sleep 0.3; exit 1'\nRestart=always\nRestartSec=100ms\n",
};

Deno.test("health and audit against real systemd and journald", async () => {
  await using srv = await bootServer();
  for (const [path, text] of Object.entries(UNITS)) await srv.writeFile(path, text);
  await srv.exec(["systemctl", "daemon-reload"], { check: true });
  await srv.exec(["systemctl", "start", "steady", "loop"], { check: true });
  const exec = inServer(srv);

  const [steady, loop, ghost] = await runHealthChecks(
    exec,
    healthSchema.parse([
      { service: "steady", settle: 1 },
      { service: "loop", settle: 1, retries: 1, backoff: 0.2 },
      { service: "ghost", retries: 0 },
    ]),
  );
  assert.deepEqual([steady.ok, steady.detail], [true, "active (running)"]);
  assert.equal(loop.ok, false);
  assert.match(
    loop.detail,
    /^(restarting: systemd restarted it \d+ time\(s\) in 1 s|activating \(auto-restart\))$/,
  );
  assert.deepEqual([ghost.ok, ghost.detail], [false, "unit not found"]);

  const runId = `20261130T120000Z-${Deno.pid}`;
  const entries: AuditEntry[] = [
    {
      at: "2026-11-30T12:00:00.000Z",
      runId,
      commit: "abc123",
      event: "drift",
      resource: "file[/etc/motd]",
      changes: [{ field: "mode", from: "0666", to: "0644" }],
    },
    {
      at: "2026-11-30T12:00:00.000Z",
      runId,
      event: "failure",
      resource: "service[php]",
      changes: [],
      error: "x",
    },
  ];
  assert.equal(await journalAudit(exec, entries), null);
  await srv.exec(["journalctl", "--sync"]);
  const read = await srv.exec(["journalctl", "--output=json", `CM_RUN_ID=${runId}`], {
    check: true,
  });
  const logged = read.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(
    logged.map((e) => [e.CM_RESOURCE, e.CM_EVENT, e.PRIORITY, e.SYSLOG_IDENTIFIER, e.CM_COMMIT]),
    [
      ["file[/etc/motd]", "drift", "4", "config-manager", "abc123"],
      ["service[php]", "failure", "3", "config-manager", undefined],
    ],
  );
  assert.equal(
    logged[0].MESSAGE,
    "file[/etc/motd] drift repaired (changed outside cm): mode 0666 → 0644",
  );
  assert.deepEqual(JSON.parse(logged[1].CM_AUDIT), entries[1]);
});
