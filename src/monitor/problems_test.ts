import assert from "node:assert/strict";
import type { RunReport } from "../engine/report.ts";
import { HEALTH_ALERT_KEY, healthProblem, runProblems } from "./problems.ts";

const REPORT: RunReport = {
  id: "20261130T120000Z-7",
  mode: "apply",
  startedAt: "2026-11-30T12:00:00.000Z",
  durationMs: 10,
  cookbooks: ["web.yaml"],
  commit: "0123456789abcdef0123",
  resources: [
    {
      id: "package[nginx]",
      kind: "package",
      status: "changed",
      changes: [],
      durationMs: 1,
      at: "w:1:1",
    },
    {
      id: "service[php8.2-fpm]",
      kind: "service",
      status: "failed",
      changes: [],
      durationMs: 1,
      at: "w:2:1",
      error: "start failed\nstatus=78",
    },
  ],
  handlers: [
    {
      id: "service[nginx]",
      action: "reload",
      triggeredBy: [],
      status: "failed",
      error: "exit 1",
      durationMs: 1,
    },
  ],
  totals: { changed: 1, unchanged: 0, failed: 2, skipped: 0 },
  result: "failed",
};

Deno.test("a failed resource and a failed handler are one keyed problem each", () => {
  assert.deepEqual(runProblems(REPORT), [
    {
      key: "failed:service[php8.2-fpm]",
      severity: "critical",
      summary: "service[php8.2-fpm] failed: start failed",
      details: "run 20261130T120000Z-7 (commit 0123456789ab)\nstart failed\nstatus=78",
    },
    {
      key: "handler:service[nginx]",
      severity: "critical",
      summary: "reload of service[nginx] failed: exit 1",
      details: "run 20261130T120000Z-7 (commit 0123456789ab)\nexit 1",
    },
  ]);
  assert.deepEqual(runProblems({ ...REPORT, mode: "plan" }), []);
});

Deno.test("failed health is one problem: why, the commit, and whether it was rolled back", () => {
  const health = {
    ok: false,
    failures: [],
    checks: [{
      id: "http[http://127.0.0.1/]",
      ok: false,
      attempts: 3,
      detail: "status 502, expected 200",
      durationMs: 7,
    }],
  };
  const failed = healthProblem({ ...REPORT, health });
  assert.equal(failed.key, HEALTH_ALERT_KEY);
  assert.equal(
    failed.summary,
    "health failed after the apply of commit 0123456789ab (http[http://127.0.0.1/]: status 502, expected 200); not rolled back",
  );
  const rollback = {
    ok: true,
    runId: REPORT.id,
    restored: [],
    refreshed: [],
    health: { ok: true, failures: [], checks: [] },
    durationMs: 900,
  };
  const restart = { ...health, failures: ["restart of service[php8.2-fpm] failed: exited 1"] };
  assert.match(
    healthProblem({ ...REPORT, health: restart, rollback }).summary,
    /\(restart of service\[php8\.2-fpm\] failed: exited 1\); rolled back$/,
  );
});
