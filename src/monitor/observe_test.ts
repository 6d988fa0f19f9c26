import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { DEFAULT_STATE_DIR, statePaths } from "../state/paths.ts";
import { type State, writeState } from "../state/store.ts";
import { ALERT_STATE_FILE, readAlertState } from "./alerts.ts";
import {
  collectMetrics,
  DRIFT_FILE,
  monitorSettings,
  observeRollback,
  observeRun,
} from "./observe.ts";
import { newRunId, type RunReport } from "../engine/report.ts";
import { unhealthyReport as unhealthy } from "../engine/report_fixtures.ts";
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

Deno.test("a metrics_dir or alerts file the node configuration names but that is missing is warned of; a missing default is not", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const outcome = { report: unhealthy(null) };
  assert.deepEqual(await observeRun(exec, outcome, monitorSettings({}, dir.path)), []);
  await Deno.writeTextFile(`${dir.path}/file`, "");
  const named = monitorSettings(
    { metrics_dir: `${dir.path}/file`, alerts: `${dir.path}/alerts.yml` },
    dir.path,
  );
  assert.deepEqual(await observeRun(exec, outcome, named), [
    `no alert sent: alerts file "${dir.path}/alerts.yml" of the node configuration does not exist`,
    `cannot write metrics: metrics_dir "${dir.path}/file" of the node configuration is not a directory`,
  ]);
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

/** Monitoring settings whose alerts go to a webhook on 127.0.0.1, from a configured `alerts:` path. */
async function webhookSettings(dir: string) {
  const received: { kind: string; key: string; summary: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push(await req.json());
    return new Response("ok");
  });
  const alerts = `${dir}/elsewhere-alerts.yaml`;
  await Deno.writeTextFile(
    alerts,
    `targets:\n  ops:\n    type: webhook\n    url: http://127.0.0.1:${server.addr.port}/hook\n`,
    { mode: 0o600 },
  );
  const settings = monitorSettings({ alerts }, `${dir}/state`);
  await Deno.mkdir(settings.paths.dir);
  return { settings, received, [Symbol.asyncDispose]: () => server.shutdown() };
}

Deno.test("failed health rolled back: one problem and one recovery, to the configured alerts", async () => {
  await using dir = await tempDir();
  await using hook = await webhookSettings(dir.path);
  const warnings = await observeRun(new RealExecutor(), { report: unhealthy(true) }, hook.settings);
  assert.deepEqual(warnings, []);
  assert.deepEqual(hook.received.map((e) => [e.kind, e.key]), [
    ["problem", "health:after-apply"],
    ["recovery", "health:after-apply"],
  ]);
  assert.match(
    hook.received[0].summary,
    /^health failed after the apply of commit 0123456789ab \(restart of service\[php8\.2-fpm\] failed\); rolled back$/,
  );
});

Deno.test("failed health not rolled back stays open until a healthy run closes it", async () => {
  await using dir = await tempDir();
  await using hook = await webhookSettings(dir.path);
  const exec = new RealExecutor();
  await observeRun(exec, { report: unhealthy(null) }, hook.settings);
  const healthy = {
    ...unhealthy(null),
    resources: [],
    health: { ok: true, failures: [], checks: [] },
  };
  await observeRun(exec, { report: healthy }, hook.settings);
  assert.deepEqual(hook.received.map((e) => [e.kind, e.key]), [
    ["problem", "failed:service[php8.2-fpm]"],
    ["problem", "health:after-apply"],
    ["recovery", "failed:service[php8.2-fpm]"],
    ["recovery", "health:after-apply"],
  ]);
});

Deno.test("cm rollback of an unhealthy run closes its health alert and writes the metrics", async () => {
  await using dir = await tempDir();
  await using hook = await webhookSettings(dir.path);
  const exec = new RealExecutor();
  await observeRun(exec, { report: unhealthy(null) }, hook.settings);
  await Deno.mkdir(hook.settings.metricsDir);
  const warnings = await observeRollback(exec, unhealthy(true), hook.settings);
  assert.deepEqual(warnings, []);
  assert.deepEqual(hook.received.slice(2).map((e) => [e.kind, e.key]), [
    ["recovery", "health:after-apply"],
  ]);
  assert.ok((await Deno.stat(`${hook.settings.metricsDir}/cm.prom`)).isFile);
});

Deno.test("the drift record is rewritten only when what was found drifted changes", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const settings = monitorSettings({}, dir.path);
  const file = `${dir.path}/${DRIFT_FILE}`;
  const run = (at: string, drift: true | undefined): RunReport => ({
    id: newRunId(new Date(at)),
    mode: "apply",
    startedAt: at,
    durationMs: 1,
    cookbooks: [],
    resources: [{
      id: "file[/x]",
      kind: "file",
      status: "changed",
      changes: [],
      durationMs: 1,
      at: "x.yaml:1:1",
      ...(drift ? { drift } : {}),
    }],
    handlers: [],
    totals: { changed: 1, unchanged: 0, failed: 0, skipped: 0 },
    result: "ok",
  });
  const record = () => JSON.parse(Deno.readTextFileSync(file));
  await observeRun(exec, { report: run("2026-11-30T12:00:00.000Z", undefined) }, settings);
  const inode = Deno.statSync(file).ino;
  await observeRun(exec, { report: run("2026-11-30T13:00:00.000Z", undefined) }, settings);
  assert.deepEqual(record(), { at: "2026-11-30T12:00:00.000Z", by: "run", resources: [] });
  assert.equal(Deno.statSync(file).ino, inode, "not rewritten");
  await observeRun(exec, { report: run("2026-11-30T14:00:00.000Z", true) }, settings);
  assert.deepEqual(record(), {
    at: "2026-11-30T14:00:00.000Z",
    by: "run",
    resources: ["file[/x]"],
  });
});
