/**
 * The problems a run and its health checks show, as {@link AlertProblem}s
 * with keys that stay the same while the problem lasts: `failed:<resource
 * id>`, `handler:<resource id>`, `health:after-apply`.
 *
 * @module
 */
import type { RunReport } from "../engine/report.ts";
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

/** The key of the problem a run whose health failed raises (and its rollback may close). */
export const HEALTH_ALERT_KEY = "health:after-apply";

/** The problem of a run whose health failed after the apply: why, and what the rollback did. */
export function healthProblem(report: RunReport): AlertProblem {
  const health = report.health!;
  const check = health.checks.find((c) => !c.ok);
  const why = health.failures[0] ?? (check ? `${check.id}: ${check.detail}` : "health failed");
  const commit = report.commit ? ` of commit ${report.commit.slice(0, 12)}` : "";
  return {
    key: HEALTH_ALERT_KEY,
    severity: "critical",
    summary: `health failed after the apply${commit} (${why}); ${
      report.rollback ? "rolled back" : "not rolled back"
    }`,
    details: `run ${report.id}`,
  };
}
