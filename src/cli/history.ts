/**
 * `cm history` and `cm show-run ID`: the run reports under the state directory.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { listRuns, readRun, StateError } from "../state/store.ts";
import type { RunReport } from "../engine/report.ts";
import { statePaths } from "../state/paths.ts";
import { UsageError } from "./exit.ts";
import { formatChange, type Printer } from "./output.ts";

/** Lists runs, newest last, under a header: id, start (local time), result, counts, duration, commit, cookbooks. */
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
  const rows = reports.map((r) => [
    r.id,
    localTime(r.startedAt),
    r.result,
    `${r.totals.changed} changed, ${r.totals.failed} failed, ${r.totals.unchanged} unchanged`,
    `${(r.durationMs / 1000).toFixed(2)} s`,
    r.commit?.slice(0, 12) ?? "-",
    r.cookbooks.join(" "),
  ]);
  const header = ["ID", "STARTED", "RESULT", "RESOURCES", "DURATION", "COMMIT", "COOKBOOKS"];
  for (const line of table([header, ...rows])) printer.out(line);
}

/** `2026-11-30T18:06:12.345Z` as `2026-11-30 18:06:12` in this machine's time zone. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}`;
}

/** Rows as lines of left-aligned columns, two spaces apart, the last column unpadded. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r.map((cell, c) => c < r.length - 1 ? cell.padEnd(widths[c]) : cell).join("  ")
  );
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
    `run ${report.id}: ${report.mode}, ${report.result}, started ${localTime(report.startedAt)}, ${
      (report.durationMs / 1000).toFixed(2)
    } s`,
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
