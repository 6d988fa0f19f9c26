/**
 * `cm history`: the recorded runs under the state directory, oldest first.
 *
 * @module
 */
import type { RunReport } from "../../engine/report.ts";
import type { Probe } from "../../exec/executor.ts";
import { StateError } from "../../errors.ts";
import { statePaths } from "../../state/paths.ts";
import { listRuns, readRun } from "../../state/store.ts";
import { type Printer, terminalPrinter } from "../output.ts";
import { printable } from "../../exec/output.ts";
import {
  type Command,
  count,
  examples,
  jsonOption,
  localTime,
  stateDirOption,
} from "../_common.ts";
import { EXIT } from "../exit.ts";

/** `cm history`. */
export const command: Command<{ stateDir?: string; limit: number; json?: boolean }> = {
  name: "history",
  summary: "list recorded runs, oldest first",
  options: [
    {
      flag: "--limit",
      short: "-n",
      value: "count",
      help: "how many recent runs",
      parse: count,
      default: 20,
    },
    jsonOption("the runs"),
    stateDirOption("state, runs and lock directory"),
  ],
  epilog: examples(["cm history", "cm history -n 5 --json"]),
  run(_, opts, { exec }) {
    history(exec, terminalPrinter("normal", false), opts);
    return EXIT.ok;
  },
};

/**
 * Lists the last `limit` runs under a header: id, start (local time), result,
 * counts, duration, commit, cookbooks.
 */
export function history(
  probe: Probe,
  printer: Printer,
  options: { stateDir?: string; limit: number; json?: boolean },
): void {
  const paths = statePaths(options.stateDir);
  const reports: RunReport[] = [];
  for (const id of listRuns(paths).slice(-options.limit)) {
    try {
      const report = readRun(probe, paths, id);
      if (report) reports.push(report);
    } catch (error) {
      if (!(error instanceof StateError)) throw error;
      printer.err(`warning: skipping ${printable(error.message)}`);
    }
  }
  if (options.json) {
    return printer.out(JSON.stringify(reports.map(({ resources: _, ...rest }) => rest), null, 1));
  }
  if (!reports.length) return printer.out(`no runs recorded in ${paths.runs}`);
  const rows = reports.map((r) => [
    r.id,
    localTime(r.startedAt),
    r.rollback ? `${r.result}, rolled back` : r.result,
    `${r.totals.changed} changed, ${r.totals.failed} failed, ${r.totals.unchanged} unchanged`,
    `${(r.durationMs / 1000).toFixed(2)} s`,
    r.commit?.slice(0, 12) ?? "-",
    printable(r.cookbooks.join(" ")),
  ]);
  const header = ["ID", "STARTED", "RESULT", "RESOURCES", "DURATION", "COMMIT", "COOKBOOKS"];
  for (const line of table([header, ...rows])) printer.out(line);
}

/** Rows as lines of left-aligned columns, two spaces apart, the last column unpadded. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r.map((cell, c) => c < r.length - 1 ? cell.padEnd(widths[c]) : cell).join("  ")
  );
}
