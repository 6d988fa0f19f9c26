/**
 * Run reports for tests of what comes after a run (alerts, metrics, the
 * rollback count): plain data, nothing run.
 *
 * @module
 */
import type { RunReport } from "./report.ts";

/** A report whose health failed after the apply; rolled back (ok or not) unless `rollbackOk` is null. */
export function unhealthyReport(rollbackOk: boolean | null): RunReport {
  return {
    id: "20261130T200000Z-1",
    mode: "apply",
    startedAt: "2026-11-30T20:00:00.000Z",
    durationMs: 1500,
    cookbooks: ["/repo/default.yaml"],
    commit: "0123456789abcdef",
    resources: [{
      id: "service[php8.2-fpm]",
      kind: "service",
      at: "2026-11-30T20:00:01.000Z",
      status: "failed",
      changes: [],
      error: "restart failed",
      durationMs: 3,
    }],
    handlers: [],
    totals: { changed: 1, unchanged: 0, failed: 1, skipped: 0 },
    result: "failed",
    health: { ok: false, failures: ["restart of service[php8.2-fpm] failed"], checks: [] },
    ...(rollbackOk === null ? {} : {
      rollback: {
        ok: rollbackOk,
        runId: "20261130T200000Z-1",
        restored: [],
        refreshed: [],
        health: { ok: rollbackOk, failures: [], checks: [] },
        durationMs: 900,
      },
    }),
  };
}
