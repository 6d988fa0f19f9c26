import assert from "node:assert/strict";
import type { HandlerResult, RunReport } from "../engine/report.ts";
import {
  type Printer,
  printHealth,
  printResult,
  rollbackLine,
  rollbackOfApplyNote,
  rollbackOfSyncNote,
  summary,
} from "./output.ts";

function handler(status: HandlerResult["status"]): HandlerResult {
  return { id: "service[nginx]", action: "reload", triggeredBy: [], status, durationMs: 0 };
}

function report(handlers: HandlerResult[], failed: number): RunReport {
  return {
    id: "20261130T224513Z-6863",
    mode: "apply",
    startedAt: "2026-11-30T22:45:13.000Z",
    durationMs: 40,
    cookbooks: ["/root/k.yaml"],
    resources: [],
    handlers,
    totals: { changed: 1, unchanged: 0, failed, skipped: 0 },
    result: failed ? "failed" : "ok",
  };
}

Deno.test("summary counts a failed restart or reload as failed, not as refreshed", () => {
  assert.equal(
    summary(report([handler("failed"), handler("changed")], 1)),
    "apply: 1 changed, 0 unchanged, 1 failed, 0 skipped, 1 refreshed in 0.04 s (run 20261130T224513Z-6863)",
  );
  assert.match(summary(report([handler("failed")], 1)), /1 failed, 0 skipped, 0 refreshed in/);
});

Deno.test("a rollback's closing line counts a restore that failed as failed, not restored", () => {
  const record = {
    ok: false,
    runId: "20261201T000457Z-26330",
    restored: [{ id: "file[/etc/a]", ok: true }, { id: "frob[x]", ok: false, error: "no" }],
    refreshed: [],
    health: { ok: true, failures: [], checks: [] },
    durationMs: 20,
  };
  assert.equal(
    rollbackLine(record),
    "rolled back run 20261201T000457Z-26330: 1 restored, 1 failed in 0.02 s; " +
      "healthy, but not all was put back: needs a person",
  );
  // Health failed after the restore: that is what the line says.
  assert.match(
    rollbackLine({ ...record, health: { ...record.health, ok: false } }),
    /; NOT healthy: needs a person$/,
  );
  assert.match(
    rollbackLine({ ...record, ok: true, restored: [record.restored[0]] }),
    /: 1 restored in/,
  );
});

Deno.test("the summary of a run whose rollback left something out says so, not that health failed again", () => {
  const rollback = {
    ok: false,
    runId: "20261130T224513Z-6863",
    restored: [{ id: "package[x]", ok: false, error: "apt no longer offers it" }],
    refreshed: [],
    health: { ok: true, failures: [], checks: [] },
    durationMs: 20,
  };
  const failed = { ...report([], 1), health: { ok: false, failures: [], checks: [] }, rollback };
  assert.match(summary(failed), /: health failed, rolled back but not all was put back$/);
  const worse = { ...failed, rollback: { ...rollback, health: { ...rollback.health, ok: false } } };
  assert.match(summary(worse), /: health failed, rollback did not make it healthy$/);
});

Deno.test("a failed resource's line names where the cookbook declares it", () => {
  const lines: string[] = [];
  const p: Printer = {
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    color: false,
    verbosity: "normal",
    diff: false,
  };
  printResult(p, false, {
    id: "file[/srv/out]",
    kind: "file",
    status: "failed",
    changes: [],
    error: 'user "wwwdata" does not exist: did you mean "www-data"?',
    durationMs: 0.1,
    at: "/root/site.yaml:5:7",
  });
  assert.deepEqual(lines, [
    'failed    file[/srv/out] at /root/site.yaml:5:7: user "wwwdata" does not exist: did you mean "www-data"?',
  ]);
});

Deno.test("a failure's multi-line output keeps its lines: the first after the id, the rest indented", () => {
  const lines: string[] = [];
  const p: Printer = {
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    color: false,
    verbosity: "quiet",
    diff: false,
  };
  printResult(p, false, {
    id: "file[/etc/sudoers]",
    kind: "file",
    status: "failed",
    changes: [],
    error: "validate refused the new content: visudo -cf /etc/.x exited 1: " +
      "/etc/.x:3:1: syntax error\nroot ALL=(ALL ALL\x1b[2J\n/etc/.x: bad",
    durationMs: 0.1,
    at: "/root/site.yaml:5:7",
  });
  printHealth(p, {
    ok: false,
    failures: [],
    checks: [{
      id: "command[nginx -t]",
      ok: false,
      attempts: 1,
      detail: "exited 1: a\nb",
      durationMs: 1,
    }],
  });
  assert.deepEqual(lines, [
    "failed    file[/etc/sudoers] at /root/site.yaml:5:7: validate refused the new content: " +
    "visudo -cf /etc/.x exited 1: /etc/.x:3:1: syntax error",
    "    root ALL=(ALL ALL[2J",
    "    /etc/.x: bad",
    "unhealthy command[nginx -t]: exited 1: a",
    "    b",
  ]);
});

Deno.test("rolling back a run of cm sync by hand says its commit is quarantined until a newer one", () => {
  const run = report([], 0);
  assert.equal(rollbackOfSyncNote(run), undefined);
  assert.equal(
    rollbackOfSyncNote({ ...run, commit: "5485c9383510fbb901750be4c257d40e119c3598" }),
    "run 20261130T224513Z-6863 applied commit 5485c9383510 from git: it is quarantined, cm sync " +
      "applies nothing until a newer commit; revert it in the repository to go on",
  );
});

Deno.test("rolling back a cm apply on a node that syncs says the next sync converges it again, or that disable holds it", () => {
  const id = "20261201T101500Z-77";
  const commit = "5485c9383510fbb901750be4c257d40e119c3598";
  assert.equal(rollbackOfApplyNote(id, { commit, ids: [] }, null), undefined);
  const ids = ["file[/a]", "file[/b]", "file[/c]", "file[/d]"];
  assert.equal(
    rollbackOfApplyNote(id, { commit, ids }, null),
    "run 20261201T101500Z-77 was a cm apply by hand on a node that syncs from git: the next " +
      "cm sync converges 4 of the restored resources (file[/a], file[/b], file[/c], and 1 more) " +
      "to the cookbooks of commit 5485c9383510 again: it follows git, not this rollback; to keep " +
      "the rollback standing, cm disable REASON now (the timer runs cm sync every interval) and " +
      "fix the repository, then cm enable",
  );
  const disabled = { reason: "INC-42", by: "alice (as root)", at: "2026-12-01T10:00:00Z" };
  assert.match(
    rollbackOfApplyNote(id, { ids: ["file[/a]"] }, disabled)!,
    /converges 1 of the restored resources \(file\[\/a\]\) to the cookbooks again: .*; cm is disabled since [-\d]+ [\d:]+ [+-]\d{4} by alice \(as root\): "INC-42", so the rollback stands until cm enable: fix the repository first$/,
  );
});
