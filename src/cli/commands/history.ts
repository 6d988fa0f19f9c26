/**
 * `cm history`: the recorded runs under the state directory, oldest first.
 *
 * @module
 */
import type { Command } from "commander";
import type { RunReport } from "../../engine/report.ts";
import type { Probe } from "../../exec/executor.ts";
import { StateError } from "../../errors.ts";
import { statePaths } from "../../state/paths.ts";
import { listRuns, readRun } from "../../state/store.ts";
import { type Printer, terminalPrinter } from "../output.ts";
import { count, type Deps, examples, stateDirOption } from "../_common.ts";

/** Adds `cm history` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("history")
    .description("list recorded runs, oldest first")
    .option("-n, --limit <count>", "how many recent runs", count, 20)
    .option("--json", "print as JSON")
    .addOption(stateDirOption("state, runs and lock directory"))
    .addHelpText("after", examples(["cm history", "cm history -n 5 --json"]))
    .action((opts) => {
      history(deps.exec, terminalPrinter("normal", false), opts);
    });
}

/** Lists the last `limit` runs: id, result, counts, duration, commit, cookbooks. */
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
      printer.err(`warning: skipping ${error.message}`);
    }
  }
  if (options.json) {
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
