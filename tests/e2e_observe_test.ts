/**
 * Drift, watch, metrics and the audit trail on a real server (systemd as PID
 * 1, from the test bed), with cm's default paths: `cm timer install --watch`
 * runs `cm watch` as a service that repairs a hand-made change within
 * seconds; the change is audited as drift in the log and in the journal at
 * warning priority; the metrics textfile passes promtool; `cm drift` is clean
 * afterwards; `cm timer uninstall` removes the service.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bootServer, type Server } from "./testbed/mod.ts";
import { installCm } from "./e2e/install_cm.ts";
import { promtoolCheck } from "./harness.ts";

const COOKBOOK = "/srv/observe.yaml";
const CONF = "/etc/observe.conf";

async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await ok()) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

async function journal(srv: Server, ...match: string[]): Promise<Record<string, string>[]> {
  const r = await srv.exec(["journalctl", "--no-pager", "-o", "json", ...match]);
  return r.stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

Deno.test("cm watch as a service repairs drift in seconds; audit, journal and metrics show it", async () => {
  await using srv = await bootServer();
  await installCm(srv);
  await srv.exec(["mkdir", "-p", "/var/lib/prometheus/node-exporter"], { check: true });
  await srv.writeFile(
    COOKBOOK,
    `name: observe\nconfigure:\n  files:\n    - path: ${CONF}\n      content: "listen = 8080\\n"\n      mode: "0640"\n`,
  );
  const applied = await srv.exec(["cm", "apply", COOKBOOK]);
  assert.equal(applied.code, 0, applied.stderr);
  // The timer needs a repository; this one is never reached within the test (first sync after 120 s).
  await srv.writeFile(
    "/etc/config-manager/config.yaml",
    "repo: file:///srv/none.git\ninterval: 1h\n",
  );
  const installed = await srv.exec(["cm", "timer", "install", "--watch"]);
  assert.equal(installed.code, 0, installed.stderr + installed.stdout);
  assert.match(installed.stdout, /ran systemctl enable --now config-manager-watch\.service/);
  await until(
    "cm watch to watch",
    30_000,
    async () =>
      (await journal(srv, "-u", "config-manager-watch.service")).some((e) =>
        /watch: watching 1 managed path/.test(e.MESSAGE)
      ),
  );

  await srv.exec(["sh", "-c", `echo hacked > ${CONF} && chmod 0666 ${CONF}`], { check: true });
  const repairedIn = await until("the repair", 10_000, async () => {
    const r = await srv.exec(["stat", "-c", "%a", CONF]);
    const text = await srv.exec(["cat", CONF]);
    return r.stdout.trim() === "640" && text.stdout === "listen = 8080\n";
  });
  const lines = await journal(srv, "-u", "config-manager-watch.service");
  const reported = lines.map((e) => /in (\d+) ms from detection/.exec(e.MESSAGE)?.[1]).filter(
    Boolean,
  );
  console.log(
    `cm watch (systemd service): change to repaired in ${Math.round(repairedIn)} ms as polled; ` +
      `reported detection-to-repair ${reported.join(", ")} ms`,
  );
  assert.ok(repairedIn < 5_000);

  // The repair is audited (log, then journal) after the file is back: wait for both.
  const auditLog = async () =>
    (await srv.exec(["cat", "/var/log/config-manager/audit.log"])).stdout.trim().split("\n");
  const driftJournal = () => journal(srv, "SYSLOG_IDENTIFIER=config-manager", "CM_EVENT=drift");
  await until(
    "the audit entries",
    10_000,
    async () => (await auditLog()).length >= 2 && (await driftJournal()).length >= 1,
  );
  const audit = (await auditLog()).map((l) => JSON.parse(l));
  assert.deepEqual(audit.map((e) => e.event), ["change", "drift"]);
  const drift = await driftJournal();
  assert.equal(drift.length, 1);
  assert.equal(drift[0].PRIORITY, "4");
  assert.equal(drift[0].CM_RESOURCE, `file[${CONF}]`);

  // The metrics are written last, after the audit and the alerts.
  const metricsFile = () => srv.exec(["cat", "/var/lib/prometheus/node-exporter/cm.prom"]);
  await until(
    "the metrics of the repair",
    10_000,
    async () => /^cm_drift_resources 1$/m.test((await metricsFile()).stdout),
  );
  const prom = await metricsFile();
  const checked = await promtoolCheck(prom.stdout);
  assert.equal(checked.code, 0, checked.stderr);
  const clean = await srv.exec(["cm", "drift"]);
  assert.equal(clean.code, 0, clean.stderr);

  const removed = await srv.exec(["cm", "timer", "uninstall"]);
  assert.equal(removed.code, 0, removed.stderr);
  const gone = await srv.exec(["systemctl", "is-active", "config-manager-watch.service"]);
  assert.notEqual(gone.stdout.trim(), "active");
});
