import assert from "node:assert/strict";
import type { State } from "../state/store.ts";
import { statusLines, statusProblems } from "./status.ts";
import { humanTime } from "../text.ts";

Deno.test("status shows the commit, the last sync with its reason, and the last run", () => {
  const lines = statusLines({
    version: 1,
    resources: {},
    sync: {
      repo: "git://h/r.git",
      branch: "main",
      commit: "a".repeat(40),
      lastGood: "a".repeat(40),
      lastSyncAt: "2026-11-26T05:00:00.000Z",
      result: "kept",
      reason: "fetch from git://h/r.git failed",
      cookbooks: ["default.yaml"],
      selectionChange: "cookbook selection changed: was nodes/web1.yaml, now default.yaml",
    },
    lastRun: {
      id: "20261126T050000Z-1",
      at: "2026-11-26T05:00:01.000Z",
      result: "ok",
      mode: "apply",
      commit: "a".repeat(40),
    },
  }, new Date("2026-11-26T05:01:00.000Z"));
  assert.deepEqual(lines, [
    "repository:   git://h/r.git (branch main)",
    `commit:       ${"a".repeat(40)}`,
    `last sync:    ${humanTime("2026-11-26T05:00:00.000Z")} (60 s ago): kept`,
    "reason:       fetch from git://h/r.git failed",
    "cookbooks:    default.yaml",
    "selection:    cookbook selection changed: was nodes/web1.yaml, now default.yaml",
    `last run:     20261126T050000Z-1 apply ok at ${
      humanTime("2026-11-26T05:00:01.000Z")
    } (59 s ago) (commit ${"a".repeat(12)})`,
  ]);
  assert.deepEqual(statusLines({ version: 1, resources: {} }), [
    "sync:         never synced (cm sync --once)",
    "last run:     none",
  ]);
});

Deno.test("status shows every refresh still pending, since when, and why its last try failed", () => {
  const lines = statusLines({
    version: 1,
    resources: {},
    pending: {
      "service[nginx]": {
        action: "reload",
        triggeredBy: ["file[/etc/nginx/sites-enabled/x]"],
        since: "2026-11-26T05:00:00.000Z",
        error: "reload failed: systemctl exited 1: Job failed\nmore",
      },
    },
  }, new Date("2026-11-26T05:01:00.000Z"));
  assert.equal(
    lines.at(-1),
    "pending:      service[nginx]: reload after file[/etc/nginx/sites-enabled/x] changed, " +
      `due since ${
        humanTime("2026-11-26T05:00:00.000Z")
      } (60 s ago); last try: reload failed: systemctl exited 1: Job failed`,
  );
});

Deno.test("status shows the timer: installed, enabled, next run; or why it is unknown", () => {
  const state = { version: 1 as const, resources: {} };
  const timer = {
    installed: true,
    unitFileState: "enabled",
    activeState: "active",
    running: false,
    next: "2026-11-30T20:05:00.000Z",
    last: null,
  };
  assert.equal(
    statusLines(state, new Date(), { timer })[1],
    `timer:        enabled, active; next run ${humanTime("2026-11-30T20:05:00.000Z")}`,
  );
  assert.equal(
    statusLines(state, new Date(), { timer: { ...timer, installed: false } })[1],
    "timer:        not installed (cm timer install)",
  );
  assert.equal(
    statusLines(state, new Date(), { timer: { error: "systemctl show exited 1: no systemd" } })[1],
    "timer:        unknown: systemctl show exited 1: no systemd",
  );
});

Deno.test("status problems: a refused or failed sync and a failed run, each with its reason", () => {
  const sync = {
    repo: "git://h/r.git",
    branch: "main",
    lastSyncAt: "2026-11-26T05:00:00.000Z",
    result: "kept" as const,
    reason: "signature check failed: unsigned",
    lastGood: "a".repeat(40),
  };
  assert.deepEqual(statusProblems({ version: 1, resources: {}, sync }), [
    "last sync kept the last good commit: signature check failed: unsigned",
  ]);
  // A node whose first sync failed has no good commit to keep.
  assert.deepEqual(
    statusProblems({ version: 1, resources: {}, sync: { ...sync, lastGood: undefined } }),
    ["last sync applied nothing (no good commit yet): signature check failed: unsigned"],
  );
  assert.deepEqual(
    statusProblems({
      version: 1,
      resources: {},
      sync: { ...sync, result: "failed", reason: "1 resource(s) failed: file[/x]: denied" },
      lastRun: { id: "r1", at: "2026-11-26T05:00:01.000Z", result: "failed", mode: "apply" },
    }),
    [
      "last sync failed: 1 resource(s) failed: file[/x]: denied",
      "last run r1 failed (cm show-run r1)",
    ],
  );
  assert.deepEqual(
    statusProblems({ version: 1, resources: {}, sync: { ...sync, result: "applied" } }),
    [],
  );
  // Stopped by Ctrl-C or SIGTERM: the node is half-way, like after a failure.
  assert.deepEqual(
    statusProblems({
      version: 1,
      resources: {},
      lastRun: { id: "r3", at: "2026-11-26T05:00:02.000Z", result: "interrupted", mode: "apply" },
    }),
    ["last run r3 was interrupted: the rest was not applied (cm show-run r3)"],
  );
  // A refresh still pending, and a quarantined commit, are problems too (exit 1).
  assert.deepEqual(
    statusProblems({
      version: 1,
      resources: {},
      sync: {
        ...sync,
        result: "applied",
        quarantined: { commit: "c2", runId: "r2", reason: "health failed" },
      },
      pending: {
        "service[nginx]": { action: "reload", triggeredBy: ["file[/x]"], since: "2026-11-26" },
      },
    }),
    [
      `reload of service[nginx] pending since ${humanTime("2026-11-26")} (an earlier try failed)`,
      "commit c2 is quarantined",
    ],
  );
});

Deno.test("status shows a run in progress first: its command, PID and since when", () => {
  const now = new Date("2026-11-30T12:01:00Z");
  const running = { pid: 4242, command: "cm sync", since: "2026-11-30T12:00:30Z" };
  assert.equal(
    statusLines({ version: 1, resources: {} }, now, { running: running })[0],
    `running:      cm sync (PID 4242) since ${humanTime("2026-11-30T12:00:30Z")} (30 s ago)`,
  );
  assert.doesNotMatch(
    statusLines({ version: 1, resources: {} }, now, { running: null }).join("\n"),
    /running/,
  );
  const ahead = { ...running, since: "2026-11-30T12:02:00Z" };
  assert.equal(
    statusLines({ version: 1, resources: {} }, now, { running: ahead })[0],
    `running:      cm sync (PID 4242) since ${
      humanTime("2026-11-30T12:02:00Z")
    } (60 s in the future: was the clock set back?)`,
  );
});

Deno.test("a cookbook selection change is a problem until it is over, naming the ways out", () => {
  const change = "cookbook selection changed: was nodes/web1.yaml, now default.yaml";
  const sync = {
    repo: "git://h/r.git",
    branch: "main",
    lastSyncAt: "2026-11-26T05:00:00.000Z",
    result: "applied" as const,
    cookbooks: ["default.yaml"],
  };
  assert.deepEqual(
    statusProblems({ version: 1, resources: {}, sync: { ...sync, selectionChange: change } }),
    [
      `${change}: put the node's cookbook back, or accept the new one by naming it (cookbooks: in ` +
      "the node configuration); on_cookbook_change: refuse would refuse such a commit",
    ],
  );
  assert.deepEqual(statusProblems({ version: 1, resources: {}, sync }), []);
});

Deno.test("status problems: a syncing node whose timer was stopped or disabled no longer syncs", () => {
  const state: State = {
    version: 1,
    resources: {},
    sync: {
      repo: "git://h/r.git",
      branch: "main",
      lastSyncAt: "2026-11-26T05:00:00.000Z",
      result: "applied" as const,
    },
  };
  const timer = (unitFileState: string, activeState: string, next: string | null) => ({
    installed: true,
    unitFileState,
    activeState,
    running: false,
    next,
    last: null,
  });
  const armed = timer("enabled", "active", "2026-11-26T05:05:00.000Z");
  assert.deepEqual(statusProblems(state, { timer: armed }), []);
  assert.deepEqual(statusProblems(state, { timer: timer("disabled", "inactive", null) }), [
    "the sync timer is disabled, inactive: this node no longer syncs " +
    "(systemctl enable --now config-manager-sync.timer)",
  ]);
  assert.deepEqual(statusProblems(state, { timer: timer("enabled", "inactive", null) }).length, 1);
  // Not installed (cm sync runs as a loop), unknown, or a node that never synced: no claim.
  const none = {
    installed: false,
    unitFileState: null,
    activeState: null,
    running: false,
    next: null,
    last: null,
  };
  assert.deepEqual(statusProblems(state, { timer: none }), []);
  assert.deepEqual(statusProblems(state, { timer: { error: "systemctl not found" } }), []);
  assert.deepEqual(
    statusProblems({ ...state, sync: undefined }, { timer: timer("disabled", "inactive", null) }),
    [],
  );
});

Deno.test("a run killed while it changed the machine, not recorded yet, is a status line and a problem", () => {
  const killed = { pid: 42, command: "cm sync", since: "2026-12-01T04:00:00.000Z", run: "R-42" };
  const state: State = { version: 1, resources: {} };
  const said = `run R-42 (cm sync, PID 42, since ${humanTime(killed.since)}) was killed while ` +
    "it changed the machine: the next cm run records it (cm show-run R-42 then)";
  assert.deepEqual(statusLines(state, new Date(), { killed }).slice(-1), [`killed:       ${said}`]);
  assert.deepEqual(statusProblems(state, { killed }), [said]);
  assert.deepEqual(statusProblems(state, { killed: null }), []);
});

Deno.test("status shows the last rollback; one by hand that failed is a problem until a run follows", () => {
  const lastRun = {
    id: "20261126T050000Z-1",
    at: "2026-11-26T05:00:01.000Z",
    result: "ok",
    mode: "apply",
  };
  const byHand = { runId: lastRun.id, at: "2026-11-26T05:10:00.000Z", ok: true, byHand: true };
  const now = new Date("2026-11-26T05:11:00.000Z");
  const state: State = { version: 1, resources: {}, lastRun, lastRollback: byHand };
  assert.equal(
    statusLines(state, now).at(-1),
    `rolled back:  run ${lastRun.id} by hand (cm rollback) at ${
      humanTime(byHand.at)
    } (60 s ago): ok`,
  );
  assert.deepEqual(statusProblems(state), []);
  const failed = { ...state, lastRollback: { ...byHand, ok: false } };
  assert.deepEqual(statusProblems(failed), [
    `run ${lastRun.id} by hand (cm rollback) at ${
      humanTime(byHand.at)
    }: FAILED (cm show-run ${lastRun.id})`,
  ]);
  // A run after it settles the question; an automatic rollback's failure is its run's.
  const later = { ...lastRun, id: "20261126T052000Z-1", at: "2026-11-26T05:20:00.000Z" };
  assert.deepEqual(statusProblems({ ...failed, lastRun: later }), []);
  const automatic = { ...state, lastRollback: { ...byHand, ok: false, byHand: false } };
  assert.deepEqual(statusProblems(automatic), []);
  assert.match(
    statusLines(automatic, now).at(-1)!,
    /automatically \(health failed\) at .*: FAILED$/,
  );
});
