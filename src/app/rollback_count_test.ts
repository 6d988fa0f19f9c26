import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import type { RunReport } from "../engine/report.ts";
import { unhealthyReport } from "../engine/report_fixtures.ts";
import { statePaths } from "../state/paths.ts";
import { readState, recordRun } from "../state/store.ts";
import { collectMetrics } from "../monitor/observe.ts";
import { writeMetrics } from "../monitor/metrics.ts";
import { countRollback } from "./rollback_count.ts";

const exec = new RealExecutor();

const report = (rollbackOk: boolean) => unhealthyReport(rollbackOk);

Deno.test("a rollback is counted in the state, and the metrics show the counts and its health", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-rollback-count-" });
  try {
    const paths = statePaths(`${dir}/state`);
    Deno.mkdirSync(paths.dir);
    Deno.mkdirSync(`${dir}/textfile`);
    countRollback(exec, paths, report(true));
    countRollback(exec, paths, report(false));
    countRollback(exec, paths, { ...report(true), rollback: undefined });
    assert.deepEqual(readState(exec, paths).rollbacks, { attempted: 2, succeeded: 1 });
    // The newest is the last rollback (`cm status` shows it); the state with it reads back.
    const { lastRollback } = readState(exec, paths);
    assert.deepEqual({ ...lastRollback, at: undefined }, {
      runId: report(false).id,
      at: undefined,
      ok: false,
      byHand: false,
    });
    assert.ok(Date.parse(lastRollback!.at) <= Date.now());
    // The metrics file after the run (as observe writes it) shows the counts and its health.
    recordRun(exec, paths, report(false));
    const file = writeMetrics(exec, collectMetrics(exec, paths), `${dir}/textfile`);
    const text = Deno.readTextFileSync(file);
    assert.match(text, /^cm_rollbacks_attempted_total 2$/m);
    assert.match(text, /^cm_rollbacks_succeeded_total 1$/m);
    assert.match(text, /^cm_health_success 0$/m);
    countRollback(exec, paths, report(true), true);
    const byHand = readState(exec, paths).lastRollback;
    assert.deepEqual([byHand?.ok, byHand?.byHand], [true, true]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a restart the rollback redid is no longer pending; one it could not redo still is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-rollback-pending-" });
  try {
    const paths = statePaths(dir);
    const failedRestart = (refreshOk: boolean): RunReport => {
      const base = report(true);
      return {
        ...base,
        handlers: [{
          id: "service[php8.2-fpm]",
          action: "restart",
          triggeredBy: ["file[/etc/php/8.2/fpm/pool.d/www.conf]"],
          status: "failed",
          error: "restart failed",
          durationMs: 5,
        }],
        rollback: { ...base.rollback!, refreshed: [{ id: "service[php8.2-fpm]", ok: refreshOk }] },
      };
    };
    for (const refreshOk of [true, false]) {
      // As converge records an apply that rolled back: the run, then its rollback.
      recordRun(exec, paths, failedRestart(refreshOk));
      countRollback(exec, paths, failedRestart(refreshOk));
      const pending = Object.keys(readState(exec, paths).pending ?? {});
      assert.deepEqual(pending, refreshOk ? [] : ["service[php8.2-fpm]"]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("what a rollback put back is no drift when the next run changes it again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-rollback-drift-" });
  try {
    const paths = statePaths(dir);
    const id = "file[/etc/x.conf]";
    const changed = (runId: string): RunReport => ({
      ...report(true),
      id: runId,
      resources: [{ id, kind: "file", status: "changed", changes: [], durationMs: 1, at: "c:1:1" }],
      totals: { changed: 1, unchanged: 0, failed: 0, skipped: 0 },
      result: "ok",
    });
    const run1 = changed("20261201T055450Z-1");
    recordRun(exec, paths, { ...run1, rollback: undefined }, { [id]: "d1" });
    // cm rollback of it (or the automatic one) put the file back.
    const rolledBack: RunReport = {
      ...run1,
      rollback: { ...report(true).rollback!, restored: [{ id, ok: true }] },
    };
    countRollback(exec, paths, rolledBack);
    // The next run applies the same cookbook again: a change cm asked for, not someone's edit.
    const run2 = changed("20261201T055500Z-2");
    recordRun(exec, paths, run2, { [id]: "d1" });
    assert.equal(run2.resources[0].drift, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
