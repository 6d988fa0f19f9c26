import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { RecordingExecutor } from "../exec/recording.ts";
import { lastRunMetrics, type Metrics, renderMetrics, writeMetrics } from "./metrics.ts";
import { freePort, requireTool, waitFor } from "./_testing.ts";

const FULL: Metrics = {
  version: '0.1.0-"dev"\\x',
  lastRun: {
    timestamp: 1_764_500_000,
    durationSeconds: 2.5,
    result: "failed",
    resources: { changed: 3, unchanged: 40, failed: 1, skipped: 2 },
  },
  driftResources: 2,
  sync: {
    timestamp: 1_764_500_010,
    ok: true,
    commitTimestamp: 1_764_499_000,
    commitToAppliedSeconds: 1010,
  },
  rollbacks: { attempted: 2, succeeded: 1 },
  health: { ok: false, checks: 3, failed: 1 },
  pendingRefreshes: 1,
  signatureFailures: 4,
};

Deno.test("metrics render every family with HELP, TYPE and cm_ names", () => {
  const text = renderMetrics(FULL);
  assert.ok(text.endsWith("\n"));
  for (
    const line of [
      'cm_build_info{version="0.1.0-\\"dev\\"\\\\x"} 1',
      "cm_last_run_timestamp_seconds 1764500000",
      "cm_last_run_duration_seconds 2.5",
      "cm_last_run_success 0",
      'cm_last_run_resources{status="changed"} 3',
      'cm_last_run_resources{status="skipped"} 2',
      "cm_drift_resources 2",
      "cm_sync_success 1",
      "cm_sync_commit_timestamp_seconds 1764499000",
      "cm_sync_commit_to_applied_seconds 1010",
      "# TYPE cm_rollbacks_attempted_total counter",
      "cm_rollbacks_succeeded_total 1",
      "cm_health_success 0",
      "cm_health_checks_failed 1",
      "cm_pending_refreshes 1",
      "cm_signature_failures_total 4",
    ]
  ) assert.ok(text.split("\n").includes(line), `missing line: ${line}\n${text}`);
  const names = text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) =>
    l.split(/[{ ]/)[0]
  );
  assert.ok(names.every((n) => n.startsWith("cm_")), names.join(" "));
});

Deno.test("the last run's metrics come from its report (or the state's lastRun)", () => {
  const totals = { changed: 1, unchanged: 2, failed: 0, skipped: 0 };
  assert.deepEqual(
    lastRunMetrics({
      startedAt: "2026-11-30T12:00:00.000Z",
      durationMs: 1500,
      totals,
      result: "ok",
    }),
    { timestamp: 1_796_040_001.5, durationSeconds: 1.5, result: "ok", resources: totals },
  );
});

Deno.test("metrics leave out what is not known", () => {
  assert.equal(renderMetrics({}), "");
  const text = renderMetrics({ sync: { timestamp: 5, ok: false } });
  assert.match(text, /^cm_sync_success 0$/m);
  assert.doesNotMatch(text, /commit|last_run|rollback/);
});

Deno.test("metrics pass promtool check metrics (lint included)", async () => {
  await requireTool("promtool", "prometheus");
  const exec = new RealExecutor();
  for (const m of [FULL, {}, { lastRun: FULL.lastRun }]) {
    const result = await exec.run(["promtool", "check", "metrics"], { stdin: renderMetrics(m) });
    assert.equal(result.code, 0, `promtool: ${result.stdout}${result.stderr}`);
    assert.equal(result.stdout + result.stderr, "");
  }
  const bad = await exec.run(["promtool", "check", "metrics"], {
    stdin: "# HELP cm_x x\n# TYPE cm_x counter\ncm_x 1\n",
  });
  assert.notEqual(bad.code, 0, "promtool must reject a counter without _total");
});

Deno.test("metrics are written atomically into the collector directory", () => {
  const exec = new RecordingExecutor();
  assert.equal(writeMetrics(exec, FULL, "/var/lib/ne/"), "/var/lib/ne/cm.prom");
  assert.deepEqual(exec.writes, ["mkdir /var/lib/ne/", "write /var/lib/ne/cm.prom"]);
  assert.equal(exec.stat("/var/lib/ne/cm.prom")?.mode, 0o644);
  assert.equal(exec.text("/var/lib/ne/cm.prom"), renderMetrics(FULL));
});

Deno.test("a real node_exporter serves the metrics file from its textfile collector", async () => {
  const binary = await requireTool("prometheus-node-exporter", "prometheus-node-exporter");
  const dir = Deno.makeTempDirSync({ prefix: "cm-textfile-" });
  const exec = new RealExecutor();
  writeMetrics(exec, FULL, dir);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["cm.prom"]);
  const port = freePort();
  const server = new Deno.Command(binary, {
    args: [
      `--web.listen-address=127.0.0.1:${port}`,
      "--collector.disable-defaults",
      "--collector.textfile",
      `--collector.textfile.directory=${dir}`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const body = await waitFor("node_exporter to answer", 10_000, async () => {
      const r = await exec.run([
        "curl",
        "-sS",
        "--max-time",
        "2",
        `http://127.0.0.1:${port}/metrics`,
      ]);
      return r.code === 0 ? r.stdout : null;
    });
    assert.match(body, /^node_textfile_scrape_error 0$/m);
    assert.match(body, /^cm_last_run_resources\{status="changed"\} 3$/m);
    assert.match(body, /^cm_rollbacks_attempted_total 2$/m);
    assert.match(body, /^# TYPE cm_signature_failures_total counter$/m);
  } finally {
    server.kill("SIGTERM");
    await server.status;
    Deno.removeSync(dir, { recursive: true });
  }
});
