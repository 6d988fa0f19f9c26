/**
 * The problems a run and its health checks show, as {@link AlertProblem}s
 * with keys that stay the same while the problem lasts: `failed:<resource
 * id>`, `handler:<resource id>`, `health:<check id>`.
 *
 * @module
 */
import type { RunReport } from "../engine/report.ts";
import type { CheckResult } from "./health.ts";
import type { AlertProblem } from "./alerts.ts";

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0];
}

/** One critical problem per failed resource and per failed handler of an applied run. */
export function runProblems(report: RunReport): AlertProblem[] {
  if (report.mode !== "apply") return [];
  const commit = report.commit ? ` (commit ${report.commit.slice(0, 12)})` : "";
  const details = `run ${report.id}${commit}`;
  return [
    ...report.resources.filter((r) => r.status === "failed").map((r) => ({
      key: `failed:${r.id}`,
      severity: "critical" as const,
      summary: `${r.id} failed: ${firstLine(r.error)}`,
      details: `${details}\n${r.error ?? ""}`.trimEnd(),
    })),
    ...report.handlers.filter((h) => h.status === "failed").map((h) => ({
      key: `handler:${h.id}`,
      severity: "critical" as const,
      summary: `${h.action} of ${h.id} failed: ${firstLine(h.error)}`,
      details: `${details}\n${h.error ?? ""}`.trimEnd(),
    })),
  ];
}

/** One critical problem per failed health check. */
export function healthProblems(results: CheckResult[]): AlertProblem[] {
  return results.filter((r) => !r.ok).map((r) => ({
    key: `health:${r.id}`,
    severity: "critical" as const,
    summary: `health check ${r.id} failed: ${r.detail}`,
    details: `after ${r.attempts} attempt(s) in ${r.durationMs} ms`,
  }));
}
