import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
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
    // The metrics file after the run (as observe writes it) shows the counts and its health.
    recordRun(exec, paths, report(false));
    const file = writeMetrics(exec, collectMetrics(exec, paths), `${dir}/textfile`);
    const text = Deno.readTextFileSync(file);
    assert.match(text, /^cm_rollbacks_attempted_total 2$/m);
    assert.match(text, /^cm_rollbacks_succeeded_total 1$/m);
    assert.match(text, /^cm_health_success 0$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
