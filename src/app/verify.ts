/**
 * The verify stage of an apply: after a run that changed something, the
 * cookbooks' health checks; a service that failed to start or restart after
 * the change fails health by itself (its checks are then not waited for).
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import type { Cookbook } from "../cookbook/cookbook.ts";
import type { HealthRecord, RunReport } from "../engine/report.ts";
import type { HealthCheck } from "../cookbook/health_schema.ts";
import type { Sleep } from "../monitor/health.ts";

/** Whether `report` changed the machine: a resource changed or a handler ran. */
export function changedSomething(report: RunReport): boolean {
  return report.totals.changed > 0 || report.handlers.length > 0;
}

/** Whether a failed health check restores the snapshot: `rollback: auto`, or left out with checks. */
export function rollbackWanted(cookbook: Cookbook): boolean {
  return cookbook.rollback === "auto" ||
    (cookbook.rollback === undefined && cookbook.health.length > 0);
}

/** Services of `report` that failed to start, stop or restart: `restart of service[x] failed: ...`. */
export function serviceFailures(report: RunReport): string[] {
  const firstLine = (text?: string) => (text ?? "").split("\n")[0];
  return [
    ...report.resources.filter((r) => r.kind === "service" && r.status === "failed")
      .map((r) => `${r.id} failed: ${firstLine(r.error)}`),
    // A failed `run_on` command fails its run, not health: it is no service that did not come up.
    ...report.handlers.filter((h) => h.status === "failed" && h.action !== "run")
      .map((h) => `${h.action} of ${h.id} failed: ${firstLine(h.error)}`),
  ];
}

/**
 * Health: failed when there are `failures` (services that did not come up),
 * else the `checks` run through `probe` (in order, each with its retries).
 */
export async function checkHealth(
  checks: HealthCheck[],
  failures: string[],
  probe: Probe,
  sleep?: Sleep,
): Promise<HealthRecord> {
  if (failures.length) return { ok: false, failures, checks: [] };
  // The checks' runners (curl, ports) load only when a run has checks to run.
  const { runHealthChecks } = await import("../monitor/health.ts");
  const results = await runHealthChecks(probe, checks, sleep);
  return { ok: results.every((c) => c.ok), failures, checks: results };
}
