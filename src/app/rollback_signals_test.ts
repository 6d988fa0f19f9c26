import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import type { RunReport } from "../engine/report.ts";
import { statePaths } from "../state/paths.ts";
import { readState, recordRun } from "../state/store.ts";
import { collectMetrics } from "../monitor/observe.ts";
import { writeMetrics } from "../monitor/metrics.ts";
import { alertRollback, countRollback, rollbackProblem } from "./rollback_signals.ts";

const exec = new RealExecutor();

function report(rollbackOk: boolean): RunReport {
  const health = {
    ok: false,
    failures: ["restart of service[php8.2-fpm] failed: exited 1"],
    checks: [],
  };
  return {
    id: "20261130T200000Z-1",
    mode: "apply",
    startedAt: "2026-11-30T20:00:00.000Z",
    durationMs: 1500,
    cookbooks: ["/repo/default.yaml"],
    commit: "0123456789abcdef",
    resources: [],
    handlers: [],
    totals: { changed: 1, unchanged: 0, failed: 1, skipped: 0 },
    result: "failed",
    health,
    rollback: {
      ok: rollbackOk,
      runId: "20261130T200000Z-1",
      restored: [{ id: "file[/etc/php/8.2/fpm/pool.d/www.conf]", ok: true }],
      refreshed: [],
      health: { ok: rollbackOk, failures: [], checks: [] },
      durationMs: 900,
    },
  };
}

Deno.test("a rollback raises one problem and, healthy again, one recovery; counted in the metrics", async () => {
  const received: { kind: string; summary: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push(await req.json());
    return new Response("ok");
  });
  const dir = await Deno.makeTempDir({ prefix: "cm-rollback-signals-" });
  try {
    const paths = statePaths(`${dir}/state`);
    Deno.mkdirSync(paths.dir);
    const alerts = `${dir}/alerts.yaml`;
    Deno.writeTextFileSync(
      alerts,
      `targets:\n  ops:\n    type: webhook\n    url: http://127.0.0.1:${server.addr.port}/hook\n`,
      { mode: 0o600 },
    );
    const deliveries = await alertRollback(exec, paths, report(true), "web1", alerts);
    assert.deepEqual(deliveries.map((d) => [d.kind, d.error]), [
      ["problem", undefined],
      ["recovery", undefined],
    ]);
    assert.deepEqual(received.map((r) => r.kind), ["problem", "recovery"]);
    assert.match(
      received[0].summary,
      /^health failed after the apply of commit 0123456789ab \(restart of service\[php8\.2-fpm\] failed: exited 1\); rolled back$/,
    );
    Deno.mkdirSync(`${dir}/textfile`);
    countRollback(exec, paths, report(true));
    countRollback(exec, paths, report(false));
    assert.deepEqual(readState(exec, paths).rollbacks, { attempted: 2, succeeded: 1 });
    // The metrics file after the run (as observe writes it) shows the counts and its health.
    recordRun(exec, paths, report(false));
    const file = writeMetrics(exec, collectMetrics(exec, paths), `${dir}/textfile`);
    const text = Deno.readTextFileSync(file);
    assert.match(text, /^cm_rollbacks_attempted_total 2$/m);
    assert.match(text, /^cm_rollbacks_succeeded_total 1$/m);
    assert.match(text, /^cm_health_success 0$/m);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the alert says so when failed health was not rolled back (rollback: off)", () => {
  assert.match(
    rollbackProblem({ ...report(false), rollback: undefined }).summary,
    /not rolled back$/,
  );
});
