import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { DEFAULT_STATE_DIR, statePaths } from "../state/paths.ts";
import { type State, writeState } from "../state/store.ts";
import { ALERT_STATE_FILE, readAlertState } from "./alerts.ts";
import { collectMetrics, DRIFT_FILE, monitorSettings, observeRun } from "./observe.ts";
import { renderMetrics } from "./metrics.ts";

Deno.test("monitor settings: system paths with the system state dir, else inside the state dir", () => {
  const system = monitorSettings({}, DEFAULT_STATE_DIR);
  assert.equal(system.metricsDir, "/var/lib/prometheus/node-exporter");
  assert.equal(system.auditLog, "/var/log/config-manager/audit.log");
  assert.equal(system.alertsFile, "/etc/config-manager/alerts.yaml");
  assert.equal(system.journal, true);
  const sandbox = monitorSettings({ audit_log: "/x/audit.log" }, "/tmp/cm");
  assert.deepEqual(
    [sandbox.metricsDir, sandbox.alertsFile, sandbox.auditLog, sandbox.journal],
    ["/tmp/cm/node-exporter", "/tmp/cm/alerts.yaml", "/x/audit.log", false],
  );
});

Deno.test("metrics from the sync record: result, commit time, commit-to-applied latency, signature failures", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  const state: State = {
    version: 1,
    resources: {},
    lastRun: {
      id: "20261130T120000Z-1",
      at: "2026-11-30T12:00:00.000Z",
      result: "ok",
      mode: "apply",
      durationMs: 2500,
      totals: { changed: 1, unchanged: 9, failed: 0, skipped: 0 },
    },
    sync: {
      repo: "file:///srv/cookbooks.git",
      branch: "main",
      lastSyncAt: "2026-11-30T11:59:59.000Z",
      result: "applied",
      runId: "20261130T120000Z-1",
      commitTime: "2026-11-30T11:58:00Z",
      signatureFailures: 2,
    },
  };
  writeState(exec, paths, state);
  const text = renderMetrics(collectMetrics(exec, paths));
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
  assert.equal(value("cm_sync_success"), 1);
  assert.equal(
    value("cm_sync_commit_timestamp_seconds"),
    Date.parse("2026-11-30T11:58:00Z") / 1000,
  );
  assert.equal(value("cm_sync_commit_to_applied_seconds"), 122.5);
  assert.equal(value("cm_signature_failures_total"), 2);
  assert.equal(value("cm_last_run_duration_seconds"), 2.5);

  writeState(exec, paths, { ...state, sync: { ...state.sync!, result: "kept", runId: undefined } });
  const kept = renderMetrics(collectMetrics(exec, paths));
  assert.match(kept, /^cm_sync_success 0$/m);
  assert.doesNotMatch(kept, /cm_sync_commit_to_applied_seconds/);
});

Deno.test("a drift record of another shape is no drift count, not a crash", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  writeState(exec, paths, { version: 1, resources: {} });
  for (const text of ["{}", "[]", '{"at":"x","by":"run","resources":7}']) {
    Deno.writeTextFileSync(`${dir.path}/${DRIFT_FILE}`, text);
    assert.equal(collectMetrics(exec, paths).driftResources, undefined, text);
  }
});

Deno.test("an alert pass leaves problems it does not own open (a health check stays failed)", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const settings = monitorSettings({}, dir.path);
  await Deno.writeTextFile(
    settings.alertsFile,
    "timeout: 2\ntargets:\n  hook:\n    type: webhook\n    url: http://127.0.0.1:9/\n",
    {
      mode: 0o600,
    },
  );
  const statePath = `${dir.path}/${ALERT_STATE_FILE}`;
  const open = {
    severity: "critical" as const,
    summary: "php down",
    since: "2026-11-30T12:00:00Z",
  };
  await Deno.writeTextFile(statePath, JSON.stringify({ open: { "health:php": open }, outbox: [] }));
  const sync = {
    repo: "r",
    branch: "main",
    lastSyncAt: "2026-11-30T12:00:00Z",
    result: "kept" as const,
    reason: "signature check failed: no signature",
  };
  const warnings = await observeRun(exec, { sync }, settings);
  const after = readAlertState(exec, statePath);
  assert.deepEqual(Object.keys(after.open).sort(), ["health:php", "sync:"]);
  assert.deepEqual(after.outbox.map((o) => [o.event.kind, o.event.key]), [["problem", "sync:"]]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^alert to "hook" not delivered \(kept for the next run\)/);
});
