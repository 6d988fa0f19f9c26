/**
 * `cm history` and `cm show-run ID`: the run reports under the state directory.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { StateError, UsageError } from "../errors.ts";
import { listRuns, readRun } from "../state/store.ts";
import type { RunReport } from "../engine/report.ts";
import { statePaths } from "../state/paths.ts";
import { formatChange, type Printer } from "./output.ts";

/** Lists runs, newest last: id, mode, result, counts, commit. */
export function history(
  probe: Probe,
  printer: Printer,
  stateDir: string | undefined,
  limit: number,
  json: boolean,
) {
  const paths = statePaths(stateDir);
  const reports: RunReport[] = [];
  for (const id of listRuns(paths).slice(-limit)) {
    try {
      const report = readRun(probe, paths, id);
      if (report) reports.push(report);
    } catch (error) {
      if (!(error instanceof StateError)) throw error;
      printer.err(`warning: skipping ${error.message}`);
    }
  }
  if (json) {
    return printer.out(JSON.stringify(reports.map(({ resources: _, ...rest }) => rest), null, 1));
  }
  if (!reports.length) return printer.out(`no runs recorded in ${paths.runs}`);
  for (const r of reports) {
    const t = r.totals;
    const counts = `${t.changed} changed, ${t.failed} failed, ${t.unchanged} unchanged`;
    printer.out(
      `${r.id.padEnd(24)} ${r.result.padEnd(6)} ${counts.padEnd(40)} ${
        (r.durationMs / 1000).toFixed(2).padStart(7)
      } s${r.commit ? `  commit ${r.commit.slice(0, 12)}` : ""}  ${r.cookbooks.join(" ")}`,
    );
  }
}

/** Prints one run report: every resource that changed, failed or was skipped. */
export function showRun(
  probe: Probe,
  printer: Printer,
  stateDir: string | undefined,
  id: string,
  json: boolean,
) {
  const paths = statePaths(stateDir);
  const report = readRun(probe, paths, id);
  if (!report) throw new UsageError(`no run "${id}" in ${paths.runs} (see cm history)`);
  if (json) return printer.out(JSON.stringify(report, null, 1));
  printer.out(
    `run ${report.id}: ${report.mode}, ${report.result}, started ${report.startedAt}, ${report.durationMs} ms`,
  );
  if (report.commit) printer.out(`commit ${report.commit}`);
  printer.out(`cookbooks: ${report.cookbooks.join(", ")}`);
  for (const r of report.resources) {
    if (r.status === "unchanged" && printer.verbosity !== "verbose") continue;
    const detail = r.error ?? r.changes.map(formatChange).join(", ");
    printer.out(
      `${r.status.padEnd(9)} ${r.id}${detail ? `: ${detail}` : ""}  [${r.durationMs} ms]`,
    );
  }
  for (const h of report.handlers) {
    printer.out(
      `${h.status === "failed" ? "failed   " : "refreshed"} ${h.id}: ${h.action}${
        h.error ? `: ${h.error}` : ""
      }`,
    );
  }
  const t = report.totals;
  printer.out(
    `${t.changed} changed, ${t.unchanged} unchanged, ${t.failed} failed, ${t.skipped} skipped`,
  );
}
