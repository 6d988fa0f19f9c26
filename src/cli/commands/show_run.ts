/**
 * `cm show-run ID`: one run report, what changed, failed or was skipped.
 *
 * @module
 */
import type { Probe } from "../../exec/executor.ts";
import { UsageError } from "../../errors.ts";
import { statePaths } from "../../state/paths.ts";
import { readRun, runsMatching } from "../../state/store.ts";
import { printable } from "../../exec/output.ts";
import {
  blockLines,
  formatChange,
  printDiff,
  type Printer,
  printHandler,
  printHealth,
  printRollback,
  terminalPrinter,
} from "../output.ts";
import {
  type Command,
  examples,
  jsonOption,
  stateDirOption,
  VERBOSE_OPTION,
  verbosity,
} from "../_common.ts";
import { humanTime } from "../../text.ts";
import { EXIT } from "../exit.ts";

/** `cm show-run`. */
export const command: Command<{ stateDir?: string; json?: boolean; verbose?: boolean }> = {
  name: "show-run",
  summary: "show one run report: what changed, failed or was skipped",
  argument: {
    name: "run-id",
    help: "a run id as cm history lists it, or a unique prefix of one",
  },
  options: [
    jsonOption("the whole report"),
    VERBOSE_OPTION,
    stateDirOption("state, runs and lock directory"),
  ],
  epilog: examples(["cm show-run 20261126T054000Z-1234", "cm show-run 20261126 --json"]),
  run([id], opts, { exec }) {
    showRun(exec, terminalPrinter(verbosity(opts), false), { ...opts, id });
    return EXIT.ok;
  },
};

/**
 * Prints one run report: every resource that changed, failed or was skipped,
 * the content diffs it recorded (bounded; masked like everything else), its health checks and the rollback that undid it, if any.
 *
 * @throws {UsageError} when no run, or more than one, matches `id`
 */
export function showRun(
  probe: Probe,
  printer: Printer,
  options: { stateDir?: string; id: string; json?: boolean },
): void {
  const paths = statePaths(options.stateDir);
  const matches = runsMatching(paths, options.id);
  if (matches.length > 1) {
    const shown = matches.slice(0, 10).join(", ") + (matches.length > 10 ? ", ..." : "");
    throw new UsageError(
      `ambiguous run "${options.id}": ${matches.length} runs match (${shown}); give more of the id`,
    );
  }
  const report = matches.length ? readRun(probe, paths, matches[0]) : null;
  if (!report) throw new UsageError(`no run "${options.id}" in ${paths.runs} (see cm history)`);
  if (options.json) return printer.out(JSON.stringify(report, null, 1));
  printer.out(
    `run ${report.id}: ${report.mode}, ${report.result}, started ${humanTime(report.startedAt)}, ${
      (report.durationMs / 1000).toFixed(2)
    } s`,
  );
  if (report.commit) printer.out(`commit ${report.commit}`);
  printer.out(`cookbooks: ${printable(report.cookbooks.join(", "))}`);
  if (report.compacted) {
    printer.out(
      `compacted: ${report.compacted.unchanged} unchanged resource(s) kept by count only (run history retention)`,
    );
  }
  for (const r of report.resources) {
    if (r.status === "unchanged" && printer.verbosity !== "verbose") continue;
    const detail = r.error ?? r.changes.map(formatChange).join(", ");
    const drift = r.drift ? " (drift: changed outside cm)" : "";
    const at = r.status === "failed" ? ` at ${printable(r.at)}` : "";
    const head = `${r.status.padEnd(9)} ${printable(r.id)}${at}${drift}${detail ? ": " : ""}`;
    const [first, ...rest] = blockLines(head, detail);
    printer.out(`${first}  [${r.durationMs} ms]`);
    for (const line of rest) printer.out(line);
    if (r.diff) printDiff(printer, r.diff);
  }
  for (const h of report.handlers) printHandler(printer, false, h);
  if (report.health) printHealth(printer, report.health);
  if (report.rollback) printRollback(printer, report.rollback);
  const t = report.totals;
  printer.out(
    `${t.changed} changed, ${t.unchanged} unchanged, ${t.failed} failed, ${t.skipped} skipped`,
  );
}
